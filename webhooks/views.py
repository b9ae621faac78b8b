"""The admins' webhook pages, beside member management: the endpoints and a form to add one; an
endpoint's page with its messages, every attempt, "Send a test event", "Resend", enable, remove."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.views.members import staff_required
from webhooks import services
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

# The secret of an endpoint just added, kept in the session until its page shows it, once.
SECRET_SHOWN_ONCE = "webhook-secret"  # noqa: S105 - a session key's name
MESSAGES_SHOWN = 50


@staff_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except services.EndpointInvalid as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            request.session[SECRET_SHOWN_ONCE] = [endpoint.pk, endpoint.secret]
            return redirect("webhook-detail", pk=endpoint.pk)
    endpoints = WebhookEndpoint.objects.order_by("created_at", "id")
    status = 400 if form.errors else 200
    return render(
        request, "webhooks/webhook_list.html", {"endpoints": endpoints, "form": form}, status=status
    )


@staff_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    shown = request.session.pop(SECRET_SHOWN_ONCE, None)
    secret = shown[1] if shown and shown[0] == endpoint.pk else None
    attempts = WebhookAttempt.objects.order_by("-at", "-id")
    recent = endpoint.messages.order_by("-id").prefetch_related(
        Prefetch("tries", queryset=attempts)
    )[:MESSAGES_SHOWN]
    return render(
        request,
        "webhooks/webhook_detail.html",
        {"endpoint": endpoint, "secret": secret, "recent": recent},
    )


@staff_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.test_event_send(endpoint=endpoint)
    if endpoint.is_active:
        messages.success(request, _("A test event is on its way; its attempt shows below."))
    else:
        messages.warning(request, _("The test event waits: the endpoint is disabled."))
    return redirect("webhook-detail", pk=pk)


@staff_required
@require_POST
def webhook_enable(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    if not endpoint.is_active:
        services.endpoint_enable(actor=request.user, endpoint=endpoint)
        messages.success(request, _("Enabled: the messages waiting for it are being sent."))
    return redirect("webhook-detail", pk=pk)


@staff_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, _("The endpoint %(url)s was removed.") % {"url": endpoint.url})
    return redirect("webhook-list")


@staff_required
@require_POST
def webhook_message_resend(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(WebhookMessage.objects.select_related("endpoint"), pk=pk)
    if not services.message_resend(message=message):
        messages.warning(request, _("The message is being sent right now."))
    elif message.endpoint.is_active:
        messages.success(request, _("The message is sent again, with the same id."))
    else:
        messages.warning(request, _("The message waits: the endpoint is disabled."))
    return redirect("webhook-detail", pk=message.endpoint_id)
