"""What a person sees when a page cannot be shown: the portal's own page, in their language, with
the navigation and a way back; what a program sees under /api/: the API's JSON error.

Django's own handlers render 400 and 500 without the request (so without the navigation or the
user), and its 404 and 403 as bare pages. These render every one with the request; a 500 whose
page cannot be rendered either (the database being what failed, say) falls back to a page that
needs nothing but the translations.
"""

from __future__ import annotations

import logging

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _explained(status: int) -> tuple[str, str]:
    """The page's title and what the person can do, for each status."""
    match status:
        case 400:
            return _("The request could not be understood"), _(
                "Something in it was not as the portal expects. Go back and try again; if it "
                "keeps happening, tell an administrator."
            )
        case 403:
            return _("You may not open this page"), _(
                "Your account does not have the role this page needs. If you need it, ask an "
                "administrator."
            )
        case 404:
            return _("Page not found"), _(
                "There is no such page, or it is not yours to see. Check the address, or start "
                "again from the start page."
            )
    return _("Something went wrong"), _(
        "The portal met an error it did not expect, and it has been recorded. Try again in a "
        "moment; if it keeps happening, tell an administrator."
    )


def _language(request: HttpRequest) -> str:
    """The request's language; chosen again when the error came before the middleware that
    chooses it (a refused Host, say), so the thread's last one is not used."""
    chosen = getattr(request, "LANGUAGE_CODE", None)
    return chosen or translation.get_language_from_request(request)


def _answer(request: HttpRequest, status: int) -> HttpResponse:
    with translation.override(_language(request)):
        return _rendered(request, status)


def _rendered(request: HttpRequest, status: int) -> HttpResponse:
    title, explanation = _explained(status)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": title}, status=status)
    context = {"status": status, "title": title, "explanation": explanation}
    return render(request, "error.html", context, status=status)


def export_refused(request: HttpRequest, form: forms.Form, page: str) -> HttpResponse:
    """An export whose filters are wrong, refused before its first byte: the portal's 400 page
    saying what is wrong, with a link to the page the export belongs to (URL name `page`), where
    the same filters are shown in the form to be corrected."""
    back = reverse(page)
    if request.GET:
        back += f"?{request.GET.urlencode()}"
    context = {
        "status": 400,
        "title": _("The export could not be made"),
        "explanation": _("Its filters are not valid:"),
        "errors": [
            # The bound field's label: the field's own, else one made from its name.
            _("%(field)s: %(error)s") % {"field": form[name].label, "error": error}
            if name in form.fields
            else str(error)
            for name, errors in form.errors.items()
            for error in errors
        ],
        "back": back,
    }
    return render(request, "error.html", context, status=400)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _answer(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return _answer(request, 500)
    except Exception:  # what failed may be what the page needs (the database, the session)
        logger.exception("the error page could not be rendered; a plain one was sent")
    with translation.override(_language(request)):
        title, explanation = _explained(500)
        return HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>{escape(title)}</title>"
            f'<h1>{escape(title)}</h1><p>{escape(explanation)}</p><p><a href="/">'
            f"{escape(_('Go to the start page'))}</a></p>",
            status=500,
        )
