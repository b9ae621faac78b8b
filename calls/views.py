"""Server-rendered pages: contacts with Call buttons, the live call page, my calls."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from calls import selectors, services
from calls.models import Call
from members.models import Member
from members.selectors import minutes_used_in_period
from members.services import pool_current

# htmx stops polling when a response carries this status: the call is over, nothing will change.
HTMX_STOP_POLLING = 286


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where each person starts: callers at contacts, admins at the dashboard, finance at usage."""
    from members.selectors import can_see_usage

    if Member.objects.filter(user=request.user).exists():
        return redirect("contact-list")
    if request.user.is_staff:
        return redirect("dashboard")
    if can_see_usage(request.user):
        return redirect("report-usage")
    return redirect("contact-list")


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    form_errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            contact = services.contact_create(
                owner=request.user,
                name=request.POST.get("name", "").strip() or request.POST.get("phone_number", ""),
                phone_number=request.POST.get("phone_number", ""),
                company=request.POST.get("company", "").strip(),
            )
        except services.CallNotAllowed as exc:
            form_errors[exc.field or "phone_number"] = exc.message
        else:
            messages.success(request, f"{contact.name} was added to your contacts.")
            return redirect("contact-list")
    member = Member.objects.select_related("department").filter(user=request.user).first()
    pool = pool_current()
    if member is not None and member.minutes_cap is not None:
        member.minutes_used = minutes_used_in_period(pool=pool, by="member").get(member.pk, 0)
    return render(
        request,
        "calls/contact_list.html",
        {
            "contacts": selectors.contacts_of(request.user),
            "member": member,
            "pool": pool,
            "form_errors": form_errors,
            "form_data": request.POST if form_errors else {},
        },
    )


@login_required
@require_POST
def call_start(request: HttpRequest) -> HttpResponse:
    contact = None
    if request.POST.get("contact"):
        contact = get_object_or_404(selectors.contacts_of(request.user), pk=request.POST["contact"])
    try:
        call = services.call_start(
            user=request.user, callee=request.POST.get("callee") or None, contact=contact
        )
    except services.CallNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("contact-list")
    return redirect("call-detail", pk=call.pk)


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.calls_visible_to(request.user), 50).get_page(request.GET.get("page"))
    for call in page:
        call.status_label = selectors.call_status_label(call)
    return render(request, "calls/call_list.html", {"page": page})


def _call_context(call: Call) -> dict:
    return {
        "call": call,
        "status_label": selectors.call_status_label(call),
        "timeline": selectors.call_timeline(call),
        "callee": selectors.callee_display(call),
        "duration": selectors.duration_display(call.duration_seconds),
        # The balance below the call moves when it ends, without a reload.
        "pool": pool_current(),
    }


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    return render(request, "calls/call_detail.html", _call_context(call))


@login_required
def call_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the call page, polled by htmx until the call is final."""
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    response = render(request, "calls/_call_status.html", _call_context(call))
    if call.is_final:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required
@require_POST
def call_hang_up(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(selectors.calls_visible_to(request.user), pk=pk)
    try:
        call = services.call_hang_up(call=call)
    except services.CallNotAllowed as exc:
        messages.info(request, exc.message)
    if request.headers.get("HX-Request"):
        return render(request, "calls/_call_status.html", _call_context(call))
    return redirect("call-detail", pk=call.pk)
