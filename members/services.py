"""Writes for members, departments and business numbers (the minute pool's: members.pool).

Every change is written to the audit log in the same transaction as the change itself.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import AuditLogEntry
from audit.services import audit_record
from clicktodial_portal.phones import InvalidPhoneNumber, phone_number_normalize
from members.auditing import snapshot
from members.exceptions import MemberInvalid
from members.models import BusinessNumber, Department, Member

# Members


def phone_number_checked(raw: str, *, field: str = "phone_number") -> str:
    """The number in E.164, or MemberInvalid saying what is wrong with it, for `field`."""
    try:
        return phone_number_normalize(raw)
    except InvalidPhoneNumber as exc:
        raise MemberInvalid(str(exc), field=field) from exc


def _member_number(raw: str, *, exclude_pk: int | None = None) -> str:
    number = phone_number_checked(raw)
    if Member.objects.filter(phone_number=number).exclude(pk=exclude_pk).exists():
        raise MemberInvalid(
            _("%(number)s is already a member number.") % {"number": number},
            field="phone_number",
        )
    return number


@transaction.atomic
def member_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    phone_number: str,
    department: Department | None = None,
    user: AbstractBaseUser | None = None,
    status: str = Member.Status.ACTIVE,
    minutes_cap: int | None = None,
    action: str = AuditLogEntry.Action.CREATE,
) -> Member:
    member = Member.objects.create(
        name=name,
        phone_number=_member_number(phone_number),
        department=department,
        user=user,
        status=status,
        minutes_cap=minutes_cap,
    )
    audit_record(actor=actor, action=action, obj=member, before=None, after=snapshot(member))
    return member


@transaction.atomic
def member_update(*, actor: AbstractBaseUser | None, member: Member, **fields: Any) -> Member:
    before = snapshot(member)
    if "phone_number" in fields:
        fields["phone_number"] = _member_number(fields["phone_number"], exclude_pk=member.pk)
    for name, value in fields.items():
        setattr(member, name, value)
    member.save()
    if snapshot(member) != before:
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.UPDATE,
            obj=member,
            before=before,
            after=snapshot(member),
        )
    return member


def member_remove(*, actor: AbstractBaseUser | None, member: Member) -> Member:
    """Removing keeps the member and its call history; it only stops new calls."""
    with transaction.atomic():
        before = snapshot(member)
        member.status = Member.Status.REMOVED
        member.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditLogEntry.Action.REMOVE,
            obj=member,
            before=before,
            after=snapshot(member),
        )
    return member


# Departments and business numbers


@transaction.atomic
def department_save(
    *, actor: AbstractBaseUser | None, department: Department | None = None, **fields: Any
) -> Department:
    before = snapshot(department) if department else None
    department = department or Department()
    for name, value in fields.items():
        setattr(department, name, value)
    if Department.objects.filter(name=department.name).exclude(pk=department.pk).exists():
        raise MemberInvalid(
            _("There is already a department called %(name)s.") % {"name": department.name},
            field="name",
        )
    department.save()
    action = AuditLogEntry.Action.UPDATE if before else AuditLogEntry.Action.CREATE
    if snapshot(department) != before:
        audit_record(
            actor=actor, action=action, obj=department, before=before, after=snapshot(department)
        )
    return department


@transaction.atomic
def business_number_save(
    *,
    actor: AbstractBaseUser | None,
    business_number: BusinessNumber | None = None,
    phone_number: str,
    label: str = "",
    is_default: bool = False,
) -> BusinessNumber:
    before = snapshot(business_number) if business_number else None
    number = business_number_validate(phone_number)
    business_number = business_number or BusinessNumber()
    if business_number_taken(number, exclude_pk=business_number.pk):
        raise MemberInvalid(
            _("%(number)s is already a business number.") % {"number": number},
            field="phone_number",
        )
    if is_default:
        # One default at a time (a constraint enforces it): the old default steps down, logged.
        for old in BusinessNumber.objects.filter(is_default=True).exclude(pk=business_number.pk):
            old_before = snapshot(old)
            old.is_default = False
            old.save(update_fields=["is_default", "updated_at"])
            audit_record(
                actor=actor,
                action=AuditLogEntry.Action.UPDATE,
                obj=old,
                before=old_before,
                after=snapshot(old),
            )
    business_number.phone_number = number
    business_number.label = label
    business_number.is_default = is_default
    business_number.save()
    action = AuditLogEntry.Action.UPDATE if before else AuditLogEntry.Action.CREATE
    if snapshot(business_number) != before:
        audit_record(
            actor=actor,
            action=action,
            obj=business_number,
            before=before,
            after=snapshot(business_number),
        )
    return business_number


# A business number as the operator registered it: digits, a leading + at most. It is sent to the
# operator exactly so (the seed's example: 01052680000), never rewritten into another form.
REGISTERED_NUMBER = re.compile(r"\+?\d{3,19}")


def business_number_validate(raw: str) -> str:
    """The business number as typed (outer spaces aside), once it is known to be a phone number
    written as the operator registers them; else MemberInvalid."""
    number = str(raw).strip()
    if not REGISTERED_NUMBER.fullmatch(number):
        raise MemberInvalid(
            _(
                "Type the business number exactly as the operator registered it, digits only "
                "(a leading + allowed), e.g. 01052680000."
            ),
            field="phone_number",
        )
    phone_number_checked(number)
    return number


def business_number_taken(number: str, *, exclude_pk: int | None = None) -> bool:
    """Whether another business number is this one, written in another form or the same."""
    same = phone_number_checked(number)
    others = BusinessNumber.objects.exclude(pk=exclude_pk).values_list("phone_number", flat=True)
    return any(same_number(other, same) for other in others)


def same_number(registered: str, e164: str) -> bool:
    """Whether a number in the operator's registered form (a business number) is ``e164``."""
    try:
        return phone_number_normalize(registered) == e164
    except InvalidPhoneNumber:
        return False


def sponsor_for(member: Member) -> str:
    """The business number a member's calls show (the department's, else the default), as the
    operator registered it."""
    if member.department_id and member.department.business_number_id:
        return member.department.business_number.phone_number
    default = BusinessNumber.objects.filter(is_default=True).first()
    if default:
        return default.phone_number
    return settings.OPERATOR_SPONSOR
