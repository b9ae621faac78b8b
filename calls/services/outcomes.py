"""Calls whose outcome no notification will tell: the silent-call sweep gives them an honest one
(failed, or `unknown`), the admins are told by mail, and an admin settles an `unknown` call by
hand."""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.models import AuditLogEntry
from audit.services import audit_record
from calls.exceptions import CallNotAllowed
from calls.lifecycle import ENDED_UNREPORTED_MESSAGE, OPERATOR_FAILED_MESSAGE, advance
from calls.models import Call
from members.pool.alerts import pool_alert_recipients
from operator_api import (
    CallState,
    OperatorError,
    get_operator,
)

logger = logging.getLogger(__name__)

Status = Call.Status


NEVER_PLACED_MESSAGE = gettext_noop("The call was never placed: no worker took it in time.")


NEVER_REPORTED_MESSAGE = gettext_noop("The operator never reported how this call ended.")


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
            status__in=Call.RINGING_STATUSES,
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
                advance(call, Status.FAILED, error_message=OPERATOR_FAILED_MESSAGE, ended_at=now)
            elif said is CallState.DISCONNECTED:
                # Ended, the operator says, but how long it lasted went with the lost event.
                advance(call, Status.UNKNOWN, error_message=ENDED_UNREPORTED_MESSAGE)
            elif call.status == Status.QUEUED:
                advance(
                    call,
                    Status.FAILED,
                    reason="NotPlaced",
                    error_message=NEVER_PLACED_MESSAGE,
                    ended_at=now,
                )
            else:
                advance(
                    call,
                    Status.UNKNOWN,
                    error_message=NEVER_REPORTED_MESSAGE,
                )
            changed += 1
    if changed:
        logger.warning("%d silent calls given an outcome", changed)
        unknown_calls_alert(since=now)
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


def unknown_calls_alert(*, since: datetime) -> None:
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
            advance(
                call,
                Status.ENDED,
                reason="SettledByHand",
                duration_seconds=duration_seconds,
                connected_at=call.connected_at if duration_seconds else None,
                ended_at=now,
                error_message="",
            )
        else:
            advance(
                call,
                Status.FAILED,
                reason="SettledByHand",
                error_message=SETTLED_FAILED_MESSAGE,
                ended_at=now,
            )
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.SETTLE,
            obj=call,
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
