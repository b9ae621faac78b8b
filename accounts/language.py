"""Which language a page is in: the user's own choice, then the browser's.

The choice is saved with the account (so it follows the user to another device) and copied into
the session at login, so that no page pays a query for it; an anonymous visitor's choice, on the
login page, lives in Django's language cookie.
"""

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

SESSION_KEY = "language"


def remember(request: HttpRequest, language: str) -> None:
    """Use `language` for this user from now on, on this device and, if logged in, every other."""
    from .models import Preference

    if request.user.is_authenticated:
        Preference.objects.update_or_create(user=request.user, defaults={"language": language})
    request.session[SESSION_KEY] = language


class UserLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (cookie, then Accept-Language), after the session's choice."""

    def process_request(self, request: HttpRequest) -> None:
        language = request.session.get(SESSION_KEY)
        if language not in dict(settings.LANGUAGES):
            super().process_request(request)
            return
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
