from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .language import SESSION_KEY
from .models import Preference


@receiver(user_logged_in)
def language_restore(sender, request, user, **kwargs) -> None:
    """Bring the language the user chose on any device into this session; a user who has not
    chosen one yet but just did, on the login page (the language cookie), keeps that choice."""
    language = Preference.objects.filter(user=user).values_list("language", flat=True).first()
    if not language:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            return
        Preference.objects.update_or_create(user=user, defaults={"language": language})
    request.session[SESSION_KEY] = language
