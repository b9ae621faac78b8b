"""Placing a call: who may call whom from which number, within which limits; the call saved as
`queued` and handed to a worker, which dials it (calls.services.dialing)."""

from __future__ import annotations

import logging
import time

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from kombu.exceptions import OperationalError as KombuOperationalError

from calls.exceptions import CallNotAllowed, CallNotQueued, CallRateLimited
from calls.lifecycle import advance, counted
from calls.models import Call, Contact
from calls.services.contacts import phone_number_checked
from calls.signals import call_status_changed
from clicktodial_portal.celery import task_send
from clicktodial_portal.fields import fitted
from clicktodial_portal.logs import call_logging
from members.models import Member, MinutePool
from members.pool.caps import call_limits_reached
from members.pool.services import pool_current
from members.services import same_number, sponsor_for

logger = logging.getLogger(__name__)

Status = Call.Status


NOT_QUEUED_MESSAGE = gettext_noop(
    "The portal could not hand the call to a worker, so nothing was dialled. Try again shortly."
)


# Sent by name (clicktodial_portal.celery.task_send): calls.tasks imports this package.
BEGIN_TASK = "calls.tasks.call_begin_task"


def _member_for_caller(*, user: AbstractBaseUser, member: Member | None) -> Member:
    if member is None:
        # With what sponsor_for reads, in the same statement.
        member = (
            Member.objects.select_related("department__business_number").filter(user=user).first()
        )
        if member is None:
            raise CallNotAllowed(
                _(
                    "Your account has no member number, so the operator has no phone to ring. "
                    "Ask an administrator to add one."
                ),
                field="member",
            )
    elif member.user_id != user.pk and not user.is_staff:
        raise CallNotAllowed(_("You can only place calls from your own number."), field="member")
    if member.status == Member.Status.SUSPENDED:
        raise CallNotAllowed(
            _(
                "The member number %(number)s is suspended and cannot place calls. "
                "Ask an administrator to reactivate it."
            )
            % {"number": member.phone_number},
            field="member",
        )
    if member.status == Member.Status.REMOVED:
        raise CallNotAllowed(
            _("The member number %(number)s was removed and cannot place calls.")
            % {"number": member.phone_number},
            field="member",
        )
    return member


def call_start(
    *,
    user: AbstractBaseUser,
    callee: str | None = None,
    member: Member | None = None,
    contact: Contact | None = None,
) -> Call:
    """Save a call as `queued` and ask a worker to begin it once the row is committed."""

    member = _member_for_caller(user=user, member=member)
    if contact is not None and contact.owner_id not in (None, user.pk):
        raise CallNotAllowed(_("That contact does not exist."), field="contact")
    raw_callee = callee or (contact.phone_number if contact else "")
    if not raw_callee:
        raise CallNotAllowed(_("Say whom to call: a callee number or a contact."), field="callee")
    callee_number = phone_number_checked(raw_callee, field="callee")
    if callee_number == member.phone_number:
        raise CallNotAllowed(_("You cannot call your own number."), field="callee")
    sponsor = sponsor_for(member)
    if same_number(sponsor, callee_number):
        raise CallNotAllowed(
            _("That is the enterprise's business number, which the operator shows to both sides."),
            field="callee",
        )
    _destination_check(callee_number)
    limits = call_limits_reached(member=member)
    if limits and pool_current().when_exhausted == MinutePool.WhenExhausted.REFUSE:
        # Refused now, to this person: in their language.
        reached = [str(limit) for limit in limits]
        raise CallNotAllowed(" ".join([*reached, _("Ask an administrator to add minutes.")]))
    # In English, as the call keeps them (limit_note) for readers of either language.
    with translation.override("en"):
        limit_note = " ".join(str(limit) for limit in limits)
    if contact is None:
        # Their own contact's name before a shared one's.
        contact = (
            Contact.objects.filter(
                Q(owner=user) | Q(owner__isnull=True), phone_number=callee_number
            )
            .order_by(F("owner").asc(nulls_last=True))
            .first()
        )

    with transaction.atomic():
        # The member's row, locked, makes "one call at a time" exact under concurrent clicks.
        Member.objects.select_for_update().filter(pk=member.pk).first()
        _active_calls_check(member)
        _call_rate_check(user)
        call = Call.objects.create(
            member=member,
            contact=contact,
            placed_by=user,
            sponsor=sponsor,
            caller=member.phone_number,
            callee=callee_number,
            callee_name=contact.name if contact else "",
            over_limit=bool(limits),
            limit_note=fitted(Call, "limit_note", limit_note),
        )
        counted(call.status, call.reason)
        call_status_changed.send(sender=Call, call=call)
        transaction.on_commit(lambda: _begin_enqueue(call))
    # A call just made has no debit and no recording: said so, so that showing it asks nothing.
    for absent in (Call.usage, Call.recording):
        absent.related.set_cached_value(call, None)
    with call_logging(call_id=call.pk):
        logger.info("call %s queued: %s -> %s", call.pk, call.caller, call.callee)
    return call


def _begin_enqueue(call: Call) -> None:
    """Hand the begin to a worker; if the broker cannot take it, nothing will ever dial this call,
    so it fails now, saying so, rather than wait in `queued` for the silent-call sweep."""
    try:
        task_send(BEGIN_TASK, call.pk)
    except (KombuOperationalError, OSError) as exc:
        logger.error("call %s could not be queued: %s", call.pk, exc)
        with transaction.atomic():
            locked = Call.objects.select_for_update().get(pk=call.pk)
            if locked.status == Status.QUEUED:
                advance(
                    locked,
                    Status.FAILED,
                    reason="NotPlaced",
                    error_message=NOT_QUEUED_MESSAGE,
                    ended_at=timezone.now(),
                )
        call.refresh_from_db()
        raise CallNotQueued(_(NOT_QUEUED_MESSAGE)) from exc


def _destination_check(number: str) -> None:
    """Refuse destinations the enterprise's policy rules out: denied prefixes, and other
    countries unless international calls are allowed."""
    if any(number.startswith(prefix) for prefix in settings.CALL_DENIED_PREFIXES if prefix):
        raise CallNotAllowed(
            _("Calls to this number are not allowed by the enterprise's policy."), field="callee"
        )
    home = phonenumbers.country_code_for_region(settings.PHONE_DEFAULT_REGION)
    if not settings.CALL_ALLOW_INTERNATIONAL and phonenumbers.parse(number).country_code != home:
        raise CallNotAllowed(
            _("International calls are not allowed: ask an administrator."), field="callee"
        )


def _active_calls_check(member: Member) -> None:
    most = settings.CALL_MAX_ACTIVE_PER_MEMBER
    if most and Call.objects.filter(member=member, status__in=Call.LIVE_STATUSES).count() >= most:
        raise CallNotAllowed(
            ngettext(
                "You already have a call in progress: hang it up or let it end first.",
                "You already have %(count)d calls in progress: hang one up or let it end first.",
                most,
            )
            % {"count": most}
        )


def _call_rate_check(user: AbstractBaseUser) -> None:
    """At most CALL_RATE_LIMIT calls per user per CALL_RATE_WINDOW seconds (a fixed window in the
    shared cache, so every web process counts together)."""
    limit, window = settings.CALL_RATE_LIMIT, settings.CALL_RATE_WINDOW
    if not limit or not window:
        return
    now = int(time.time())
    key = f"call-rate:{user.pk}:{now // window}"
    cache.add(key, 0, timeout=window + 1)
    if cache.incr(key) > limit:
        raise CallRateLimited(
            ngettext(
                "Too many calls in a short time (at most %(limit)d in %(seconds)d seconds). "
                "Try again in %(wait)d second.",
                "Too many calls in a short time (at most %(limit)d in %(seconds)d seconds). "
                "Try again in %(wait)d seconds.",
                window - now % window,
            )
            % {"limit": limit, "seconds": window, "wait": window - now % window},
            retry_after=window - now % window,
        )
