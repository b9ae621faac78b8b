"""Where a form sends the person once it is done: back to the page its button was on."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request: HttpRequest, default: str, *args: object) -> HttpResponse:
    """To the form's `next` (the page the button was on, with its filters) if that page is ours,
    else to `default` (a URL name and its arguments, or a path)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default, *args)
