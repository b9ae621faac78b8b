"""Which calls are recorded, as admins set it on the Recording rules page: a rule for the whole
enterprise, a department or one member (recordings.selectors.recording_wanted reads them). Each
change is one transaction with its audit log entry."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from audit.services import audit_record
from recordings.models import RecordingRule

Scope = RecordingRule.Scope


class RuleInvalid(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def rule_snapshot(rule: RecordingRule) -> dict[str, Any]:
    """The fields a person cares about, for the audit log's before → after."""
    return {
        "scope": rule.scope,
        "department": str(rule.department) if rule.department_id else None,
        "member": str(rule.member) if rule.member_id else None,
        "record": rule.record,
    }


def recording_rule_save(
    *,
    actor: AbstractBaseUser,
    rule: RecordingRule | None = None,
    scope: str,
    department: models.Model | None,
    member: models.Model | None,
    record: bool,
) -> RecordingRule:
    """Add a rule, or change one; the target must fit the scope and have no rule yet."""
    department = department if scope == Scope.DEPARTMENT else None
    member = member if scope == Scope.MEMBER else None
    if scope == Scope.DEPARTMENT and department is None:
        raise RuleInvalid(_("Choose the department this rule is for."), field="department")
    if scope == Scope.MEMBER and member is None:
        raise RuleInvalid(_("Choose the member this rule is for."), field="member")
    others = RecordingRule.objects.exclude(pk=getattr(rule, "pk", None))
    if others.filter(scope=scope, department=department, member=member).exists():
        raise RuleInvalid(_("There is already a rule for this: change that one instead."))
    with transaction.atomic():
        before = rule_snapshot(rule) if rule is not None else None
        if rule is None:
            rule = RecordingRule()
        rule.scope, rule.department, rule.member, rule.record = scope, department, member, record
        rule.updated_by = actor
        rule.save()
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE if before else AuditLogEntry.Action.CREATE,
            obj=rule,
            before=before,
            after=rule_snapshot(rule),
        )
    return rule


def recording_rule_delete(*, actor: AbstractBaseUser, rule: RecordingRule) -> None:
    """Remove a rule: the calls it covered follow the next broader rule (or the default)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.REMOVE,
            obj=rule,
            before=rule_snapshot(rule),
        )
        rule.delete()
