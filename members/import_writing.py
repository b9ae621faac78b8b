"""Writing a member file's checked rows (members.importing reads and checks them): new members
created, the members that rows name by number updated; all in one transaction, or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from members.exceptions import MemberInvalid
from members.importing import ImportRow
from members.models import Department, Member
from members.services import member_create, member_update


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: members created, members updated (unchanged rows are neither)."""

    created: int
    updated: int


@transaction.atomic
def members_import(*, actor: AbstractBaseUser | None, rows: Sequence[ImportRow]) -> ImportResult:
    """Create a member for every new row (audited as `import`) and update the member each other
    row names by its number (audited as an update, when anything changes): all in one
    transaction, or none.

    The rows were checked for the preview (members.importing.validate_rows), but the database may
    have changed since, or the check been skipped: each row is checked again as it is written, and
    the first problem raises MemberInvalid naming its row, which rolls back every member created
    before it.
    """
    # Local: a unique number or user taken by another process between our check and our insert.
    from django.db import IntegrityError

    if not rows:
        raise MemberInvalid(_("The file has no members to import."), field="file")
    departments = {
        d.name: d for d in Department.objects.filter(name__in={r.department for r in rows})
    }
    users = {
        u.get_username(): u
        for u in get_user_model().objects.filter(username__in={r.username for r in rows})
    }
    # Username → the id of the member it is linked to.
    linked = dict(
        Member.objects.filter(user__in=users.values()).values_list("user__username", "pk")
    )
    created = updated = 0
    for row in rows:
        lookups = {"departments": departments, "users": users, "linked": linked}
        try:
            if row.is_new:
                _member_import_row(actor=actor, row=row, **lookups)
                created += 1
            elif row.changes:
                _member_update_row(actor=actor, row=row, **lookups)
                updated += 1
        except MemberInvalid as exc:
            raise MemberInvalid(
                _("Row %(line)s: %(problem)s Nothing was imported.")
                % {"line": row.line, "problem": exc.message},
                field=exc.field,
            ) from exc
        except IntegrityError as exc:
            raise MemberInvalid(
                _(
                    "Row %(line)s: its number or user was taken while importing. Nothing was "
                    "imported; upload the file again to see what changed."
                )
                % {"line": row.line},
                field="phone_number",
            ) from exc
    return ImportResult(created=created, updated=updated)


def _member_import_fields(
    *,
    row: ImportRow,
    departments: dict[str, Department],
    users: dict[str, AbstractBaseUser],
    linked: dict[str, int],
) -> dict[str, Any]:
    """A checked row's values as a member's fields, checked again against the database."""
    if row.errors:
        column, message = next(iter(row.errors.items()))
        raise MemberInvalid(message, field=column)
    if not row.name.strip():
        raise MemberInvalid(_("The name is missing."), field="name")
    department = None
    if row.department:
        department = departments.get(row.department)
        if department is None:
            raise MemberInvalid(
                _("There is no department called %(name)s.") % {"name": row.department},
                field="department",
            )
    user = None
    if row.username:
        user = users.get(row.username)
        if user is None:
            raise MemberInvalid(
                _("There is no portal user %(username)s.") % {"username": row.username},
                field="username",
            )
        if row.username in linked and linked[row.username] != row.member_id:
            raise MemberInvalid(
                _("The user %(username)s already has a member number.")
                % {"username": row.username},
                field="username",
            )
        # A new member has no id yet: its row's line stands for it, unlike any other's.
        linked[row.username] = row.member_id if row.member_id is not None else -row.line
    status = row.status or Member.Status.ACTIVE
    if status not in Member.Status.values:
        raise MemberInvalid(
            _("The status %(status)s is not a member status.") % {"status": row.status},
            field="status",
        )
    if row.minutes_cap and not row.minutes_cap.isdigit():
        raise MemberInvalid(_("The minutes cap is not a whole number."), field="minutes_cap")
    return {
        "name": row.name.strip(),
        "department": department,
        "user": user,
        "status": status,
        "minutes_cap": int(row.minutes_cap) if row.minutes_cap else None,
    }


def _member_import_row(*, actor: AbstractBaseUser | None, row: ImportRow, **lookups: Any) -> None:
    member_create(
        actor=actor,
        phone_number=row.phone_number,
        action=AuditLogEntry.Action.IMPORT,
        **_member_import_fields(row=row, **lookups),
    )


def _member_update_row(*, actor: AbstractBaseUser | None, row: ImportRow, **lookups: Any) -> None:
    member = Member.objects.select_for_update().get(pk=row.member_id)
    member_update(actor=actor, member=member, **_member_import_fields(row=row, **lookups))
