"""After a call: its caller (or an admin) notes how it went, an outcome from the admins' list and
free notes; and that list, which the admins keep. Both audited."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from audit.services import audit_record
from calls.exceptions import CallNotAllowed
from calls.models import Call, CallOutcome

NOTES_MAX_LENGTH = 2000


def _wrapup_snapshot(call: Call) -> dict[str, str]:
    return {"outcome": call.outcome.code if call.outcome else "", "notes": call.notes}


def call_wrapup_record(
    *,
    actor: AbstractBaseUser,
    call_id: int,
    outcome: CallOutcome | None,
    notes: str,
) -> Call:
    """Keep `outcome` (None: none chosen) and `notes` on a call that is over; the audit log keeps
    what they were before. Only its caller or an admin may; a call still live has no outcome yet.

    A deactivated outcome is refused unless the call has it already (kept while notes change).
    """
    notes = notes.strip()
    if len(notes) > NOTES_MAX_LENGTH:
        raise CallNotAllowed(
            _("Keep the notes under %(most)d characters.") % {"most": NOTES_MAX_LENGTH},
            field="notes",
        )
    with transaction.atomic():
        call = (
            Call.objects.select_for_update(of=("self",))
            .select_related("member", "outcome")
            .get(pk=call_id)
        )
        if not (actor.is_staff or actor.pk in (call.placed_by_id, call.member.user_id)):
            raise CallNotAllowed(_("Only the caller or an admin can note how a call went."))
        if not call.is_final:
            raise CallNotAllowed(_("Note how the call went once it is over."))
        if outcome is not None and not outcome.is_active and outcome.pk != call.outcome_id:
            raise CallNotAllowed(
                _("This outcome is no longer offered: choose another."), field="outcome"
            )
        before = _wrapup_snapshot(call)
        call.outcome = outcome
        call.notes = notes
        after = _wrapup_snapshot(call)
        if after == before:
            return call
        call.save(update_fields=["outcome", "notes", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            obj=call,
            before=before,
            after=after,
        )
    return call


# The list of outcomes, kept by the admins (the Outcomes page under Members).


def _outcome_snapshot(outcome: CallOutcome) -> dict[str, object]:
    return {
        "name": outcome.name,
        "name_zh_hans": outcome.name_zh_hans,
        "is_active": outcome.is_active,
    }


def _outcome_code_new(name: str) -> str:
    """A code for programs from the English name ("Left a message" → "left_a_message"), made
    unique with a number when taken; never changed after, whatever the name becomes."""
    base = slugify(name).replace("-", "_")[:30] or "outcome"
    code, number = base, 2
    while CallOutcome.objects.filter(code=code).exists():
        code, number = f"{base}_{number}", number + 1
    return code


def call_outcome_save(
    *,
    actor: AbstractBaseUser,
    outcome: CallOutcome | None = None,
    name: str,
    name_zh_hans: str = "",
    is_active: bool = True,
) -> CallOutcome:
    """Add an outcome (`outcome` None) at the end of the list, or rename, deactivate or
    reactivate one. Audited."""
    name, name_zh_hans = name.strip(), name_zh_hans.strip()
    if not name:
        raise CallNotAllowed(_("Give the outcome a name."), field="name")
    with transaction.atomic():
        taken = CallOutcome.objects.filter(name__iexact=name)
        if outcome is not None:
            taken = taken.exclude(pk=outcome.pk)
        if taken.exists():
            raise CallNotAllowed(
                _("There is already an outcome called %(name)s.") % {"name": name}, field="name"
            )
        if outcome is None:
            last = CallOutcome.objects.order_by("-position").values_list("position", flat=True)
            outcome = CallOutcome(
                code=_outcome_code_new(name), position=(last.first() or 0) + 1, name=name
            )
            before = None
            action = AuditLogEntry.Action.CREATE
        else:
            before = _outcome_snapshot(outcome)
            action = AuditLogEntry.Action.UPDATE
        outcome.name, outcome.name_zh_hans, outcome.is_active = name, name_zh_hans, is_active
        after = _outcome_snapshot(outcome)
        if after == before:
            return outcome
        outcome.save()
        audit_record(actor=actor, action=action, obj=outcome, before=before, after=after)
    return outcome
