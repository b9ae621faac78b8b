"""Writes for contacts and calls: the click-to-call flow and each call's state machine.

A call's status moves only forward (`_STATUS_RANK`); `ended` and `failed` are final. Every change of
status goes through `_advance`, so that rule lives in one place.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from kombu.exceptions import OperationalError as KombuOperationalError

from calls.messages import HANG_UP_NOT_CONFIRMED
from calls.models import Call, CallEvent, Contact
from calls.selectors import REASON_LABELS
from clicktodial_portal import metrics
from clicktodial_portal.logs import call_logging, printable
from members.models import AuditLogEntry, Member, MinutePool
from members.services import (
    call_limits_reached,
    pool_alert_recipients,
    pool_current,
    same_number,
    sponsor_for,
    usage_record,
)
from operator_api import (
    CallIdError,
    CallState,
    InvalidNotification,
    InvalidPhoneNumber,
    NotificationStatus,
    OperationError,
    OperatorError,
    OperatorEvent,
    OperatorOutcomeUnknown,
    OperatorUnreachable,
    ReleaseOperation,
    StatusNotification,
    camara,
    get_operator,
    normalize_number,
    v1,
)
from recordings.selectors import recording_wanted
from recordings.services import recording_register

if TYPE_CHECKING:
    from calls.contact_import import ContactImportRow

logger = logging.getLogger(__name__)

Status = Call.Status

# Statuses of equal rank cannot replace each other; a notification applies only when it moves the
# call to a higher rank. `unknown` ranks with `dialing`: whatever the operator reports later
# is news.
_STATUS_RANK = {
    Status.QUEUED: 0,
    Status.DIALING: 1,
    Status.UNKNOWN: 1,
    Status.CALLING_CALLER: 2,
    Status.CALLING_CALLEE: 3,
    Status.CONNECTED: 4,
    Status.ENDED: 5,
    Status.FAILED: 5,
}

_NOTIFIED_STATUS = {
    NotificationStatus.INITIATING: Status.DIALING,
    NotificationStatus.CALLING_CALLER: Status.CALLING_CALLER,
    NotificationStatus.CALLING_CALLEE: Status.CALLING_CALLEE,
    NotificationStatus.CONNECTED: Status.CONNECTED,
    NotificationStatus.DISCONNECTED: Status.ENDED,
    NotificationStatus.FAILED: Status.FAILED,
}

_ERROR_CODE_LENGTH = Call._meta.get_field("error_code").max_length
_REASON_LENGTH = Call._meta.get_field("reason").max_length

# A CAMARA `failed` event says no more than that.
OPERATOR_FAILED_MESSAGE = gettext_noop("The operator could not set up the call.")
ENDED_UNREPORTED_MESSAGE = gettext_noop(
    "The operator says this call has ended, but its end was never reported, so how long it "
    "lasted is not known. An administrator must settle it."
)

# A call cancelled before its begin request went out ends with this reason.
REASON_CANCELLED = "Cancelled"

# Kept with the call in English (calls.messages shows them in the reader's language).
OUTCOME_UNKNOWN_MESSAGE = gettext_noop(
    "The operator's answer to the call request was lost, so whether the phones "
    "are ringing is not known. It will not be dialled again automatically."
)
NEVER_PLACED_MESSAGE = gettext_noop("The call was never placed: no worker took it in time.")
NEVER_REPORTED_MESSAGE = gettext_noop("The operator never reported how this call ended.")
NOT_QUEUED_MESSAGE = gettext_noop(
    "The portal could not hand the call to a worker, so nothing was dialled. Try again shortly."
)


class CallNotAllowed(Exception):
    """A call cannot be placed or changed; `message` tells the user why and what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class CallNotQueued(CallNotAllowed):
    """The call was saved but the task broker could not take it: it failed, nothing was dialled."""


class CallRateLimited(CallNotAllowed):
    """Too many calls placed in a short time; another may be placed after `retry_after` s."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def phone_number_normalize(raw: str, *, field: str) -> str:
    try:
        return normalize_number(raw, default_region=settings.PHONE_DEFAULT_REGION)
    except InvalidPhoneNumber as exc:
        raise CallNotAllowed(str(exc), field=field) from exc


# Contacts


class ContactForbidden(Exception):
    """The user may see the contact but not change it: shared contacts are for admins to edit."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = _("Only an administrator can change shared contacts.")
        super().__init__(message)
        self.message = message


def contact_editable_by(*, user: AbstractBaseUser, contact: Contact) -> bool:
    """Own contacts are their owner's to change; shared ones (no owner) the admins'."""
    if contact.owner_id is None:
        return bool(user.is_staff)
    return contact.owner_id == user.pk


def _contact_number_check(*, owner: AbstractBaseUser | None, number: str, pk: int | None) -> None:
    duplicates = Contact.objects.filter(owner=owner, phone_number=number).exclude(pk=pk)
    if duplicates.exists():
        raise CallNotAllowed(
            _("There is already a shared contact with this number.")
            if owner is None
            else _("You already have a contact with this number."),
            field="phone_number",
        )


def contact_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    phone_number: str,
    company: str = "",
    notes: str = "",
    shared: bool = False,
) -> Contact:
    """A contact of `owner`'s, or with `shared`, one for everyone (admins only)."""
    if shared and not owner.is_staff:
        raise ContactForbidden(_("Only an administrator can add shared contacts."))
    number = phone_number_normalize(phone_number, field="phone_number")
    keeper = None if shared else owner
    _contact_number_check(owner=keeper, number=number, pk=None)
    return Contact.objects.create(
        owner=keeper, name=name, phone_number=number, company=company, notes=notes
    )


def contact_update(*, user: AbstractBaseUser, contact: Contact, **fields: str) -> Contact:
    if not contact_editable_by(user=user, contact=contact):
        raise ContactForbidden()
    if "phone_number" in fields:
        number = phone_number_normalize(fields["phone_number"], field="phone_number")
        _contact_number_check(owner=contact.owner, number=number, pk=contact.pk)
        fields["phone_number"] = number
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.save()
    return contact


def contact_delete(*, user: AbstractBaseUser, contact: Contact) -> None:
    """Calls made to the contact keep their number and name; only the link goes (SET_NULL)."""
    if not contact_editable_by(user=user, contact=contact):
        raise ContactForbidden()
    contact.delete()


def contacts_import(
    *, owner: AbstractBaseUser, rows: Sequence[ContactImportRow], shared: bool = False
) -> list[Contact]:
    """Write every checked row, or none: any row with errors refuses the whole file."""
    if shared and not owner.is_staff:
        raise ContactForbidden(_("Only an administrator can import shared contacts."))
    if any(row.errors for row in rows):
        raise CallNotAllowed(_("Some rows have errors: nothing was imported."))
    keeper = None if shared else owner
    with transaction.atomic():
        return Contact.objects.bulk_create(
            Contact(
                owner=keeper,
                name=row.name,
                phone_number=row.phone_number,
                company=row.company,
                notes=row.notes,
            )
            for row in rows
        )


# Placing a call


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
    callee_number = phone_number_normalize(raw_callee, field="callee")
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
            limit_note=limit_note[:300],
        )
        _counted(call)
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
    from calls.tasks import call_begin_task

    try:
        call_begin_task.delay(call.pk)
    except (KombuOperationalError, OSError) as exc:
        logger.error("call %s could not be queued: %s", call.pk, exc)
        with transaction.atomic():
            locked = Call.objects.select_for_update().get(pk=call.pk)
            if locked.status == Status.QUEUED:
                _advance(
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


class TaskOutcome(enum.Enum):
    """What a worker task does next: nothing, or try again later."""

    DONE = "done"
    RETRY = "retry"


def call_begin(*, call_id: int, last_attempt: bool) -> TaskOutcome:
    """Send the begin request for a queued call; the worker's task calls this.

    The call is claimed with a conditional update so that two workers (or a redelivered task)
    never dial it twice. Only a request that certainly did not reach the operator is retried; when
    the answer may have been lost the call becomes `unknown`, and no one dials again on their own.
    """
    claimed = Call.objects.filter(pk=call_id, status=Status.QUEUED).update(
        status=Status.DIALING,
        begin_attempts=F("begin_attempts") + 1,
        begun_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if claimed != 1:
        logger.info("call %s: not queued any more, begin skipped", call_id)
        return TaskOutcome.DONE
    call = Call.objects.get(pk=call_id)
    if call.begin_attempts == 1:  # a retry dials the same call again: counted once
        _counted(call)

    try:
        callidentifier = _operator_begin(call)
    except OperatorUnreachable as exc:
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if _begin_reached_the_operator(call):
                return TaskOutcome.DONE
            if call.hangup_requested_at is not None:
                # Nothing reached the operator, and the user no longer wants the call.
                _advance(call, **_cancelled_fields())
                return TaskOutcome.DONE
            if last_attempt:
                _fail(call, exc)
                return TaskOutcome.DONE
            # Back to queued: the retry claims it again, and a hang-up meanwhile cancels it.
            call.status = Status.QUEUED
            call.error_message = exc.message
            call.save(update_fields=["status", "error_message", "updated_at"])
        logger.warning("call %s: operator unreachable, will retry: %s", call_id, exc)
        return TaskOutcome.RETRY
    except OperatorOutcomeUnknown as exc:
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if call.status != Status.DIALING:
                # A notification already told us what happened: the begin did reach the operator.
                return TaskOutcome.DONE
            _advance(
                call,
                Status.UNKNOWN,
                error_code=(exc.code or "")[:_ERROR_CODE_LENGTH],
                error_message=OUTCOME_UNKNOWN_MESSAGE,
            )
        logger.warning("call %s: begin outcome unknown: %s", call_id, exc)
        return TaskOutcome.DONE
    except OperatorError as exc:
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            if not _begin_reached_the_operator(call):
                _fail(call, exc)
        return TaskOutcome.DONE

    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if call.callidentifier not in (None, callidentifier):
            logger.error(
                "call %s: begin answered %s but a notification matched it as %s",
                call_id,
                callidentifier,
                call.callidentifier,
            )
        call.error_message = ""
        _identifier_take(call, callidentifier, also=["error_message"])
        _release_if_hang_up_waits(call)
    logger.info("call %s: begun as %s", call_id, callidentifier)
    _adopt_early_events(call_id=call_id, callidentifier=callidentifier)
    return TaskOutcome.DONE


def _begin_reached_the_operator(call: Call) -> bool:
    """Whether a notification has told of the call (locked) while its begin was out, whatever
    the begin's own answer said: it did reach the operator, and the call goes on as told."""
    if call.status == Status.DIALING and call.callidentifier is None:
        return False
    logger.warning(
        "call %s: the begin's answer was an error, but the operator has reported on the call",
        call.pk,
    )
    return True


def _operator_begin(call: Call) -> str:
    """Ask the operator to place the call; the time from the click, by what came of it, counted
    in the metrics."""
    result = "error"  # unless the operator answers, or an OperatorError says why not
    try:
        callidentifier = get_operator().begin(
            sponsor=call.sponsor,
            caller=call.caller,
            callee=call.callee,
            record=recording_wanted(member=call.member),
            reference=str(call.pk),
        )
        result = "begun"
        return callidentifier
    except OperatorUnreachable:
        result = "unreachable"
        raise
    except OperatorOutcomeUnknown:
        result = "unknown"
        raise
    except OperatorError:
        result = "refused"
        raise
    finally:
        since_click = (timezone.now() - call.created_at).total_seconds()
        metrics.BEGIN_SECONDS.labels(result).observe(since_click)


def _fail(call: Call, exc: OperatorError) -> None:
    """End a locked call as failed, with the operator's word for why and a plain message."""
    if call.is_final:
        return
    _advance(
        call,
        Status.FAILED,
        reason=(exc.description or type(exc).__name__)[:40],
        error_code=(exc.code or "")[:_ERROR_CODE_LENGTH],
        error_message=exc.message,
        ended_at=timezone.now(),
    )
    logger.warning("call %s failed: %s (%s)", call.pk, exc.message, exc.code)


def _cancelled_fields() -> dict[str, object]:
    return {
        "status": Status.ENDED,
        "reason": REASON_CANCELLED,
        "ended_at": timezone.now(),
        "duration_seconds": 0,
    }


def _release_if_hang_up_waits(call: Call) -> None:
    """The user asked to hang up before the call's identifier was known: release it now."""
    from calls.tasks import call_release_task

    if call.hangup_requested_at is not None and not call.is_final:
        transaction.on_commit(lambda: call_release_task.delay(call.pk))


# Hanging up


def call_hang_up(*, call: Call) -> Call:
    """End a call that can still be ended: cancel it if not yet dialled, else release it."""
    from calls.tasks import call_release_task

    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.status == Status.QUEUED:
            # Not sent yet (the begin task claims only queued calls): cancel it here.
            _advance(call, **_cancelled_fields())
            return call
        if call.status == Status.UNKNOWN and call.callidentifier is None:
            raise CallNotAllowed(
                _(
                    "The operator never told us this call's identifier, so it cannot be ended "
                    "from here. If the phones are ringing, hang up on the phone."
                )
            )
        if not call.can_hang_up:
            raise CallNotAllowed(_("This call has already ended; there is nothing to hang up."))
        if _identifier_taken_by_another(call):
            raise CallNotAllowed(
                _(
                    "The operator has given this call's identifier to a newer call, so this one "
                    "has ended there; ending it from here would end the newer call."
                )
            )
        if call.hangup_requested_at is None:
            call.hangup_requested_at = timezone.now()
            call.save(update_fields=["hangup_requested_at", "updated_at"])
        transaction.on_commit(lambda: call_release_task.delay(call.pk))
    return call


def call_release(*, call_id: int, last_attempt: bool = True) -> TaskOutcome:
    """Ask the operator to end the call (EndCall). The Disconnected notification ends it here.

    When the operator cannot confirm the release, the call says so: the user must not believe a
    live call was ended.
    """
    call = Call.objects.get(pk=call_id)
    if call.callidentifier is None or call.is_final:
        # Still dialing: whoever learns the identifier releases it (_release_if_hang_up_waits).
        return TaskOutcome.DONE
    if _identifier_taken_by_another(call):
        # Its identifier now names a newer call: an EndCall would end that one.
        logger.warning("call %s: not released, its identifier names a newer call", call_id)
        return TaskOutcome.DONE
    try:
        get_operator().release(
            callidentifier=call.callidentifier, operation=ReleaseOperation.END_CALL
        )
    except (CallIdError, OperationError) as exc:
        # The operator no longer has a live call: it has ended there. If its end has not reached
        # us, it never may: the call is `unknown` now, for an admin to settle, rather than
        # holding its member back from calling until the silent-call sweep's hours run out.
        logger.info("call %s: the operator no longer knows it: %s", call_id, exc)
        _ended_at_operator(call_id=call_id, code=exc.code)
        return TaskOutcome.DONE
    except OperatorError as exc:
        if isinstance(exc, OperatorUnreachable) and not last_attempt:
            return TaskOutcome.RETRY
        Call.objects.filter(pk=call_id).update(
            error_message=HANG_UP_NOT_CONFIRMED % {"message": exc.message},
            updated_at=timezone.now(),
        )
        logger.warning("call %s: release failed: %s", call_id, exc)
        return TaskOutcome.DONE
    logger.info("call %s: release sent", call_id)
    return TaskOutcome.DONE


def _ended_at_operator(*, call_id: int, code: str | None) -> None:
    """The operator says the call is over (it refused to release it as unknown); unless its end
    was reported meanwhile, the call's outcome is unknown and the admins are told."""
    now = timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if call.is_final or call.status == Status.UNKNOWN:
            return
        _advance(
            call,
            Status.UNKNOWN,
            error_code=(code or "")[:_ERROR_CODE_LENGTH],
            error_message=ENDED_UNREPORTED_MESSAGE,
        )
    _unknown_calls_alert(since=now)


# Calls the operator went silent about


def calls_expire_silent(*, now: datetime | None = None) -> int:
    """Give calls the operator stopped reporting on an honest outcome; return how many changed.

    A call never taken off the queue was never sent, so it failed. A ringing or connected call
    that heard nothing for too long has an outcome no one here can know: it becomes `unknown`
    (a late Disconnected can still end it).
    """
    now = now or timezone.now()
    ringing_cutoff = now - timedelta(seconds=settings.CALL_RINGING_TIMEOUT)
    connected_cutoff = now - timedelta(seconds=settings.CALL_MAX_DURATION)
    silent = Call.objects.filter(
        Q(
            status__in=[
                Status.QUEUED,
                Status.DIALING,
                Status.CALLING_CALLER,
                Status.CALLING_CALLEE,
            ],
            updated_at__lt=ringing_cutoff,
        )
        | Q(status=Status.CONNECTED, updated_at__lt=connected_cutoff)
    )
    changed = 0
    for call_id, callidentifier in silent.values_list("pk", "callidentifier"):
        # Asked before the call's lock is taken: no row stays locked while the operator answers.
        said = _operator_state(call_id, callidentifier)
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            cutoff = connected_cutoff if call.status == Status.CONNECTED else ringing_cutoff
            if call.is_final or call.status == Status.UNKNOWN or call.updated_at >= cutoff:
                continue  # a notification or the worker got there first
            if said in _OPERATOR_STILL_ON:
                # Only its news was lost (or it is a long call): looked at again after as long.
                call.save(update_fields=["updated_at"])
                logger.info("call %s: silent, but the operator says it is %s", call_id, said)
                continue
            if said is CallState.FAILED:
                _advance(call, Status.FAILED, error_message=OPERATOR_FAILED_MESSAGE, ended_at=now)
            elif said is CallState.DISCONNECTED:
                # Ended, the operator says, but how long it lasted went with the lost event.
                _advance(call, Status.UNKNOWN, error_message=ENDED_UNREPORTED_MESSAGE)
            elif call.status == Status.QUEUED:
                _advance(
                    call,
                    Status.FAILED,
                    reason="NotPlaced",
                    error_message=NEVER_PLACED_MESSAGE,
                    ended_at=now,
                )
            else:
                _advance(
                    call,
                    Status.UNKNOWN,
                    error_message=NEVER_REPORTED_MESSAGE,
                )
            changed += 1
    if changed:
        logger.warning("%d silent calls given an outcome", changed)
        _unknown_calls_alert(since=now)
    return changed


_OPERATOR_STILL_ON = {
    CallState.INITIATING,
    CallState.CALLING_CALLER,
    CallState.CALLING_CALLEE,
    CallState.CONNECTED,
}


def _operator_state(call_id: int, callidentifier: str | None) -> CallState | None:
    """What the operator says of a silent call now, when its API can tell (CAMARA's GET
    /calls/{callId}; v1 has no such request); None when it cannot, or could not be asked."""
    if not callidentifier:
        return None  # the begin answer never came: nothing to ask about
    try:
        return get_operator().call_state(callidentifier=callidentifier)
    except OperatorError as exc:
        logger.warning("call %s: the operator could not say what became of it: %s", call_id, exc)
        return None


# Notifications


class NotifyOutcome(enum.StrEnum):
    """What became of a notification once kept, for the endpoint that took it to answer in its
    own API's words (calls/notify.py)."""

    # Applied; or a duplicate, or news older than what the call knows: nothing to change.
    TAKEN = "taken"
    # Not understood, or about other numbers than its call's.
    INVALID = "invalid"
    # No call has its identifier (yet: it is adopted if its begin answer names it later).
    UNKNOWN_CALL = "unknown_call"
    # A CAMARA event whose credential the portal issued for another call.
    NOT_THIS_CALLS = "not_this_calls"


def notification_receive(
    *, callidentifier: str, body: bytes, remote_addr: str | None
) -> NotifyOutcome:
    """A v1 status notification, for the call its URL names: see `_receive`."""
    return _receive(
        body=body,
        remote_addr=remote_addr,
        callidentifier=callidentifier,
        parse=lambda: _Parsed.of(_v1_parse(body, callidentifier=callidentifier)),
    )


def camara_event_receive(
    *, body: bytes, remote_addr: str | None, credential_for: str
) -> NotifyOutcome:
    """A CAMARA status-changed event (CloudEvents, structured mode): see `_receive`. The call is
    the one its `data.callId` names, and must be the one its credential was issued for
    (``credential_for``, the portal's id for the call); an event seen before (the same source
    and id) changes nothing."""
    return _receive(
        body=body,
        remote_addr=remote_addr,
        callidentifier=camara.event_call_id(body),
        parse=lambda: _Parsed.of(_camara_parse(body), credential_for=credential_for),
    )


@dataclass(frozen=True)
class _Parsed:
    """A notification understood: its call, what it says and, for CAMARA's events, the event's
    identity (`event_source`, `event_id`) and the call its credential was issued for."""

    callidentifier: str
    notification: StatusNotification
    event: dict[str, str] = field(default_factory=dict)
    credential_for: str | None = None

    @classmethod
    def of(cls, event: OperatorEvent, *, credential_for: str | None = None) -> _Parsed:
        identity = (
            {"event_source": event.source, "event_id": event.event_id} if event.event_id else {}
        )
        return cls(event.callidentifier, event.notification, identity, credential_for)


def _v1_parse(
    body: bytes, *, callidentifier: str, received_at: datetime | None = None
) -> OperatorEvent:
    event = v1.parse_notification(
        body,
        callidentifier=callidentifier,
        default_region=settings.PHONE_DEFAULT_REGION,
        received_at=received_at,
    )
    _notification_storable(event.notification)
    return event


def _camara_parse(body: bytes) -> OperatorEvent:
    event = camara.parse_event(body, default_region=settings.PHONE_DEFAULT_REGION)
    _notification_storable(event.notification)
    return event


def _receive(
    *,
    body: bytes,
    remote_addr: str | None,
    callidentifier: str,
    parse: Callable[[], _Parsed],
) -> NotifyOutcome:
    """Keep the notification as it came, decide what it means and apply it: in one transaction.

    The event and what it changes are committed together, or neither is: a DatabaseError is left
    to propagate, so that the caller answers 503 and the operator sends it again (applying it
    twice changes nothing). Any other error keeps the event as received before propagating.
    One commit per notification, not two: the commit's flush to disk is much of its cost.
    """
    # A text column takes no NUL character (PostgreSQL refuses it): kept as U+FFFD instead.
    received = {
        "callidentifier": callidentifier[:200].replace("\x00", "\ufffd"),
        "body": body.decode("utf-8", errors="replace").replace("\x00", "\ufffd"),
        "remote_addr": remote_addr,
    }
    try:
        try:
            parsed = parse()
        except (ValueError, InvalidNotification, RecursionError, OverflowError) as exc:
            # json.JSONDecodeError and UnicodeDecodeError are ValueErrors too (InvalidNotification
            # is one); RecursionError is deeply nested JSON, OverflowError a time out of range.
            CallEvent.objects.create(
                **received, outcome=CallEvent.Outcome.INVALID, detail=str(exc)[:500]
            )
            return NotifyOutcome.INVALID
        received["callidentifier"] = parsed.callidentifier[:200].replace("\x00", "\ufffd")
        received.update(parsed.event)
        with transaction.atomic():
            return _notification_keep_and_apply(parsed, received)
    except DatabaseError:
        raise
    except Exception:
        CallEvent.objects.create(**received)  # on record, as received, before the error's 500
        raise


def _notification_keep_and_apply(parsed: _Parsed, received: dict[str, Any]) -> NotifyOutcome:
    callidentifier, notification = parsed.callidentifier, parsed.notification
    # Written once, with its outcome, when _event_close decides it (in this transaction).
    event = CallEvent(
        **received,
        status=notification.status,
        reason=(notification.reason or "")[:_REASON_LENGTH],
        operator_timestamp=notification.timestamp,
    )
    if not _identifier_possible(callidentifier):
        _event_close(event, CallEvent.Outcome.UNKNOWN_CALL, "No call can have this identifier.")
        return NotifyOutcome.UNKNOWN_CALL
    if parsed.credential_for is not None:
        call = _call_of_credential(parsed, event)
        if call is None:
            return NotifyOutcome.NOT_THIS_CALLS
    else:
        call = _call_for_identifier(callidentifier=callidentifier, notification=notification)
        if call is None or (
            # Not its numbers, and over (or of unknown outcome): the identifier has moved on to
            # a call whose begin answer has not named it yet.
            (call.is_final or call.status == Status.UNKNOWN)
            and (notification.caller, notification.callee) != (call.caller, call.callee)
        ):
            call = (
                _call_awaiting_identifier(callidentifier=callidentifier, notification=notification)
                or call
            )
    if call is None:
        _event_close(event, CallEvent.Outcome.UNKNOWN_CALL, "No call has this identifier.")
        return NotifyOutcome.UNKNOWN_CALL
    with call_logging(call_id=call.pk):
        event.call = call
        if parsed.event and call.events.filter(**parsed.event).exists():
            _event_close(event, CallEvent.Outcome.DUPLICATE, "The same event came before.")
            return NotifyOutcome.TAKEN
        return notification_apply(call=call, event=event, notification=notification)


# No telephone call lasts a month; a longer callDuration is a fault, not a bill to make.
NOTIFY_MAX_CALL_SECONDS = 31 * 24 * 3600


def _notification_storable(notification: StatusNotification) -> None:
    """Refuse (as InvalidNotification) what parses but could not be stored on the call."""
    duration = notification.call_duration
    if duration is not None and duration > NOTIFY_MAX_CALL_SECONDS:
        raise InvalidNotification(field="callDuration", problem=f"{duration} is too long")
    # The call's start is worked out from its end and duration: both must stay in the calendar.
    since_calendar_start = notification.timestamp.replace(tzinfo=None) - datetime.min
    if since_calendar_start < timedelta(seconds=duration or 0):
        raise InvalidNotification(field="timeStamp", problem="is too early for the duration")
    limit = Call._meta.get_field("recording_id").max_length
    if notification.recording_id and len(notification.recording_id) > limit:
        raise InvalidNotification(field="recordingId", problem=f"is over {limit} characters")


def _identifier_possible(callidentifier: str) -> bool:
    """Whether a call could carry this identifier (the column's length, no NUL)."""
    limit = Call._meta.get_field("callidentifier").max_length
    return len(callidentifier) <= limit and "\x00" not in callidentifier


def _call_awaiting_identifier(
    *, callidentifier: str, notification: StatusNotification
) -> Call | None:
    """The call this notification is about, when its begin answer has not told us the identifier.

    The operator may notify before the worker has stored the begin answer, or the answer may have
    been lost (`unknown`). Matched on the numbers among recent calls with no identifier, and only
    when exactly one fits; that call then takes the identifier.
    """
    candidates = list(
        Call.objects.select_for_update()
        .filter(
            callidentifier__isnull=True,
            status__in=[Status.DIALING, Status.UNKNOWN],
            caller=notification.caller,
            callee=notification.callee,
            created_at__gte=timezone.now() - timedelta(hours=1),
        )
        .order_by("-created_at")[:2]
    )
    if len(candidates) != 1:
        # A concurrent notification (or the begin answer) may have given the call this very
        # identifier while we waited for its lock: the row then no longer matched the filter
        # above. A new statement sees that commit.
        return _call_for_identifier(callidentifier=callidentifier, notification=notification)
    call = candidates[0]
    _identifier_take(call, callidentifier)
    _release_if_hang_up_waits(call)
    return call


# How far apart the operator's clock and ours may be when a notification's time decides which of
# the calls that carried a reused identifier it is about.
IDENTIFIER_CLOCK_MARGIN = timedelta(seconds=30)


def _call_for_identifier(*, callidentifier: str, notification: StatusNotification) -> Call | None:
    """The call (locked) that an identifier names when a notification happened.

    The operator hands an identifier out again once its call has ended, so several calls may
    carry it. A notification belongs to the latest of them begun before the call it tells of
    began: its time less the duration it reports, give or take the clocks' margin. So a late one
    for an earlier call never touches the newer, even when that call ended just before the newer
    began. When the call found had ended before the notification happened, it is about a newer
    call whose begin answer has not come yet: None, and it is matched (or adopted later) so.
    """
    candidates = list(
        # The member comes along for the debit; only the calls' rows are locked.
        Call.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(callidentifier=callidentifier)
        .order_by(F("begun_at").desc(nulls_last=True), "-id")
    )
    if not candidates:
        return None
    at = notification.timestamp
    began = at - timedelta(seconds=notification.call_duration or 0)
    call = next(
        (
            c
            for c in candidates
            if c.begun_at is None or c.begun_at - IDENTIFIER_CLOCK_MARGIN <= began
        ),
        candidates[-1],  # before every one of them began: the earliest
    )
    if call.is_final and call.ended_at is not None and at > call.ended_at + IDENTIFIER_CLOCK_MARGIN:
        return None
    return call


def _identifier_take(call: Call, callidentifier: str, *, also: Iterable[str] = ()) -> None:
    """Give a locked call the operator's identifier, saved with the fields named in ``also``.

    A live call still holding the same identifier was ended by the operator, which has handed
    the identifier out again, but its end never reached us: it is `unknown`, for an admin to
    settle, and no longer in the way of the new call.
    """
    holders = list(
        Call.objects.select_for_update()
        .filter(callidentifier=callidentifier, status__in=Call.LIVE_STATUSES)
        .exclude(pk=call.pk)
    )
    if holders:
        since = timezone.now()
        transaction.on_commit(lambda: _unknown_calls_alert(since=since))
    for holder in holders:
        logger.warning(
            "call %s: the operator gave its identifier %s to call %s",
            holder.pk,
            callidentifier,
            call.pk,
        )
        _advance(holder, Status.UNKNOWN, error_message=ENDED_UNREPORTED_MESSAGE)
    call.callidentifier = callidentifier
    call.save(update_fields=["callidentifier", *also, "updated_at"])


def _identifier_taken_by_another(call: Call) -> bool:
    """Whether another live call holds this (not live) call's identifier: the operator has
    handed it out again."""
    if call.callidentifier is None or call.status in Call.LIVE_STATUSES:
        return False  # a live call's identifier is its own (a constraint says so)
    return (
        Call.objects.filter(callidentifier=call.callidentifier, status__in=Call.LIVE_STATUSES)
        .exclude(pk=call.pk)
        .exists()
    )


def _call_of_credential(parsed: _Parsed, event: CallEvent) -> Call | None:
    """A CAMARA event's call: the one its credential was issued for (locked), when the event is
    about it; else None, with the event closed as a mismatch. Every check comes before any
    write: an event that is refused changes nothing but its own record."""
    call = (
        Call.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk=int(parsed.credential_for or 0))
        .first()
    )
    notification = parsed.notification
    problem = ""
    if call is None:
        problem = f"The credential was issued for call {parsed.credential_for[:40]}, which is gone."
    elif call.callidentifier is not None and call.callidentifier != parsed.callidentifier:
        problem = f"The credential was issued for call {call.pk}, which is not this callId."
    elif call.callidentifier is None and (
        (notification.caller, notification.callee) != (call.caller, call.callee)
        or call.status not in (Status.DIALING, Status.UNKNOWN)
    ):
        problem = f"The credential was issued for call {call.pk}, which this event is not about."
    if problem:
        event.call = call
        _event_close(event, CallEvent.Outcome.MISMATCH, problem)
        return None
    if call.callidentifier is None:
        # The begin answer has not come yet (or was lost): the event tells the call's id.
        _identifier_take(call, parsed.callidentifier)
        _release_if_hang_up_waits(call)
    return call


def notification_apply(
    *, call: Call, event: CallEvent, notification: StatusNotification
) -> NotifyOutcome:
    """Apply a parsed notification to its call (locked by the caller) and close the event."""
    event.call = call
    if (notification.caller, notification.callee) != (call.caller, call.callee):
        _event_close(
            event,
            CallEvent.Outcome.MISMATCH,
            f"Body says {notification.caller} → {notification.callee}, "
            f"the call is {call.caller} → {call.callee}.",
        )
        return NotifyOutcome.INVALID
    target = _NOTIFIED_STATUS[notification.status]
    if call.status == Status.UNKNOWN and _STATUS_RANK[target] <= _highest_rank_reached(call):
        _event_close(event, CallEvent.Outcome.STALE, "The call was further along than this.")
        return NotifyOutcome.TAKEN
    if target in Call.LIVE_STATUSES and _identifier_taken_by_another(call):
        # Old news of a call the operator has ended (it gave the identifier to a newer one):
        # only its end may still be told.
        _event_close(event, CallEvent.Outcome.STALE, "Its identifier names a newer call now.")
        return NotifyOutcome.TAKEN
    if call.status == target:
        _event_close(event, CallEvent.Outcome.DUPLICATE, f"The call is already {target}.")
        return NotifyOutcome.TAKEN
    if call.is_final or _STATUS_RANK[target] <= _STATUS_RANK[call.status]:
        _event_close(event, CallEvent.Outcome.STALE, f"The call is already {call.status}.")
        return NotifyOutcome.TAKEN

    fields: dict[str, object] = {"error_message": "", "error_code": ""}
    if target == Status.CONNECTED:
        fields["connected_at"] = notification.timestamp
    if target == Status.ENDED:
        fields.update(_ending_fields(call, notification))
    if target == Status.FAILED:
        fields.update(ended_at=notification.timestamp, error_message=OPERATOR_FAILED_MESSAGE)
    _advance(call, target, **fields)
    _event_close(event, CallEvent.Outcome.APPLIED, "")
    return NotifyOutcome.TAKEN


def _highest_rank_reached(call: Call) -> int:
    """How far an `unknown` call had got before it became unknown, from the events applied."""
    applied = call.events.filter(outcome=CallEvent.Outcome.APPLIED).values_list("status", flat=True)
    ranks = [_STATUS_RANK[_NOTIFIED_STATUS[NotificationStatus(s)]] for s in applied]
    return max(ranks, default=_STATUS_RANK[Status.DIALING])


def _ending_fields(call: Call, notification: StatusNotification) -> dict[str, object]:
    ended_at: datetime = notification.timestamp
    duration = notification.call_duration
    if duration is None:
        # Tolerate a Disconnected without callDuration: the connected time we saw, else nothing.
        duration = (
            max(0, int((ended_at - call.connected_at).total_seconds())) if call.connected_at else 0
        )
    fields: dict[str, object] = {
        "ended_at": ended_at,
        # The operator's word as sent, a word outside the seed's list too (it means Other).
        "reason": (notification.reason or "")[:_REASON_LENGTH],
        "duration_seconds": duration,
        "recording_result": notification.recording_result or "",
        "recording_id": notification.recording_id or "",
    }
    if duration and call.connected_at is None:
        # Disconnected overtook Connected: the start follows from the end and the duration.
        fields["connected_at"] = ended_at - timedelta(seconds=duration)
    return fields


def _adopt_early_events(*, call_id: int, callidentifier: str) -> None:
    """Apply to the call just begun the notifications that came before its begin answer and
    matched no call then.

    The operator was answered 1001002 for them, but what it reported is still the truth about
    this call.
    """
    began = Call.objects.filter(pk=call_id).values_list("begun_at", flat=True).first()
    since = (began or timezone.now()) - IDENTIFIER_CLOCK_MARGIN
    # Only what came since the call began: an older one is another call's that had this
    # identifier before (the operator hands them out again).
    early = CallEvent.objects.filter(
        callidentifier=callidentifier,
        call__isnull=True,
        outcome=CallEvent.Outcome.UNKNOWN_CALL,
        received_at__gte=since,
    ).order_by("received_at", "id")
    for event in early:
        body = event.body.encode()  # read again as it was received, with the time it came
        if event.event_id:  # a CAMARA event
            notification = _camara_parse(body).notification
        else:
            notification = _v1_parse(
                body, callidentifier=callidentifier, received_at=event.received_at
            ).notification
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            identity = {"event_source": event.event_source, "event_id": event.event_id}
            if event.event_id and call.events.filter(**identity).exclude(pk=event.pk).exists():
                event.call = call
                _event_close(event, CallEvent.Outcome.DUPLICATE, "The same event came before.")
                continue
            notification_apply(call=call, event=event, notification=notification)


def _event_close(event: CallEvent, outcome: str, detail: str) -> None:
    event.outcome = outcome
    event.detail = detail[:500]
    if event.pk is None:
        event.save()  # the notification being received: one insert, with what became of it
    else:
        event.save(update_fields=["call", "outcome", "detail", "updated_at"])


def _advance(call: Call, status: str, **fields: object) -> None:
    """Move a locked call to `status`; the one place where a call's status changes.

    An ended call is debited from the minute pool here, in the same transaction, and its
    recording (if the operator reported one) registered for download once that commits.
    """
    if call.is_final:
        raise AssertionError(f"call {call.pk} is {call.status}, which is final")
    call.status = status
    for name, value in fields.items():
        setattr(call, name, value)
    # Only what changed: the callers save anything else they change themselves.
    call.save(update_fields=["status", *fields, "updated_at"])
    _counted(call)
    reason = f" ({printable(call.reason)})" if call.reason else ""  # the operator's words
    logger.info("call %s is %s%s", call.pk, status, reason)
    if status == Status.ENDED:
        usage_record(call=call)
        recording_register(call=call)


def _counted(call: Call) -> None:
    """Count the call's new status in the metrics, once the change is committed; the reason by
    name when it is one the portal knows (the label's values stay few), else as `other`."""
    status, reason = call.status, call.reason
    if reason and reason not in REASON_LABELS and reason != "NotPlaced":
        reason = "other"
    transaction.on_commit(lambda: metrics.CALLS.labels(status, reason).inc())


# Calls the operator never finished reporting on


def _unknown_calls_alert(*, since: datetime) -> None:
    """Tell the admins, by e-mail, which calls have just become `unknown`, so that someone who
    knows how they went (the employee) can settle them. A mail that fails is logged, not raised:
    the calls are marked either way and the dashboard lists them."""
    calls = list(
        Call.objects.filter(status=Status.UNKNOWN, updated_at__gte=since).order_by("pk")[:50]
    )
    recipients = pool_alert_recipients()
    if not calls or not recipients:
        return
    lines = [
        f"- {settings.PORTAL_BASE_URL}{reverse('call-detail', args=[call.pk])} "
        f"{call.caller} -> {call.callee}, "
        f"placed {timezone.localtime(call.created_at):%Y-%m-%d %H:%M}"
        for call in calls
    ]
    try:
        send_mail(
            subject=f"Click to Dial: {len(calls)} call(s) with an unknown outcome",
            message=(
                "The operator never reported how these calls ended. Ask the employee, then "
                "settle each on its page (ended, with its talk time, or failed):\n\n"
                + "\n".join(lines)
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("could not mail the admins about %d unknown calls", len(calls))


class Settlement(enum.StrEnum):
    ENDED = "ended"
    FAILED = "failed"


SETTLED_FAILED_MESSAGE = gettext_noop("Settled by an administrator as failed.")


def call_settle(
    *,
    actor: AbstractBaseUser,
    call_id: int,
    outcome: Settlement,
    duration_seconds: int | None = None,
) -> Call:
    """Give a call whose outcome is unknown the one the people on it know, by hand: ended after
    `duration_seconds` of talk (then debited like any ended call, once), or failed. Audited."""
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if call.status != Status.UNKNOWN:
            raise CallNotAllowed(_("Only a call whose outcome is unknown can be settled by hand."))
        before = _settle_snapshot(call)
        now = timezone.now()
        if outcome == Settlement.ENDED:
            if duration_seconds is None or not 0 <= duration_seconds <= settings.CALL_MAX_DURATION:
                raise CallNotAllowed(
                    _("Give the talk time in seconds, from 0 to %(most)d.")
                    % {"most": settings.CALL_MAX_DURATION},
                    field="duration_seconds",
                )
            _advance(
                call,
                Status.ENDED,
                reason="SettledByHand",
                duration_seconds=duration_seconds,
                connected_at=call.connected_at if duration_seconds else None,
                ended_at=now,
                error_message="",
            )
        else:
            _advance(
                call,
                Status.FAILED,
                reason="SettledByHand",
                error_message=SETTLED_FAILED_MESSAGE,
                ended_at=now,
            )
        AuditLogEntry.objects.create(
            actor=actor,
            action=AuditLogEntry.Action.SETTLE,
            object_type="Call",
            object_id=str(call.pk),
            object_repr=str(call)[:300],
            before=before,
            after=_settle_snapshot(call),
        )
    logger.info("call %s settled by hand as %s by %s", call.pk, outcome, actor)
    return call


def _settle_snapshot(call: Call) -> dict[str, object]:
    return {
        "status": call.status,
        "reason": call.reason,
        "duration_seconds": call.duration_seconds,
        "billed_minutes": str(call.billed_minutes) if call.billed_minutes is not None else None,
    }
