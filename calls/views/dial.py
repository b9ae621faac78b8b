"""The page a number opens from anywhere: `/call?number=…`, which a CRM's "Call" action can link
to and which the browser opens for any tel: link once the person has made the portal its handler
for them (navigator.registerProtocolHandler, static/js/dial.js). Opening it never rings anyone:
the person presses Call (a POST, as from the contacts page)."""

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from calls import contact_selectors
from clicktodial_portal.phones import InvalidPhoneNumber, dialed_number
from members.models import Member

# The contacts shown for a number: more than one means the person has it under several names.
CONTACTS_SHOWN = 5
# What the page echoes of an unreadable number (a query string can be any length).
ECHOED_CHARACTERS = 64


@login_required
def call_number(request: HttpRequest) -> HttpResponse:
    """The number (a tel: URI or as typed), whose contact it is if known, and a Call button; or,
    with no number, a field to type one."""
    text = request.GET.get("number", "").strip()
    context = {
        "text": text[:ECHOED_CHARACTERS],
        "member": Member.objects.filter(user=request.user).only("phone_number").first(),
    }
    if not text:
        return render(request, "calls/call_number.html", context)
    try:
        dialed = dialed_number(text)
    except InvalidPhoneNumber:
        context["error"] = InvalidPhoneNumber(raw=text[:ECHOED_CHARACTERS])
        return render(request, "calls/call_number.html", context, status=400)
    # Their own contacts first, as the call will name itself after the first (placing.call_start).
    contacts = contact_selectors.contacts_of(request.user).filter(phone_number=dialed.e164)
    contacts = contacts.order_by(F("owner").asc(nulls_last=True), "name", "pk")
    context.update(dialed=dialed, contacts=list(contacts[:CONTACTS_SHOWN]))
    return render(request, "calls/call_number.html", context)
