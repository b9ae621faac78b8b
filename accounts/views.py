from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .language import remember


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: saved with the account, then Django's set_language, which
    sets the language cookie and goes back to the (same-site) `next` page."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest("Unknown language.")
    remember(request, language)
    return set_language(request)
