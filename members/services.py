"""Writes for member numbers."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from members.models import Member
from operator_api import InvalidPhoneNumber, normalize_number


class MemberInvalid(Exception):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _number(raw: str, *, exclude_pk: int | None = None) -> str:
    try:
        number = normalize_number(raw, default_region=settings.PHONE_DEFAULT_REGION)
    except InvalidPhoneNumber as exc:
        raise MemberInvalid(str(exc), field="phone_number") from exc
    if Member.objects.filter(phone_number=number).exclude(pk=exclude_pk).exists():
        raise MemberInvalid(f"{number} is already a member number.", field="phone_number")
    return number


def member_create(
    *,
    name: str,
    phone_number: str,
    user: AbstractBaseUser | None = None,
    status: str = Member.Status.ACTIVE,
) -> Member:
    return Member.objects.create(
        name=name, phone_number=_number(phone_number), user=user, status=status
    )


def member_update(*, member: Member, **fields: object) -> Member:
    if "phone_number" in fields:
        fields["phone_number"] = _number(str(fields["phone_number"]), exclude_pk=member.pk)
    for name, value in fields.items():
        setattr(member, name, value)
    member.save()
    return member


def member_remove(*, member: Member) -> Member:
    """Removing keeps the member and its call history; it only stops new calls."""
    member.status = Member.Status.REMOVED
    member.save(update_fields=["status", "updated_at"])
    return member
