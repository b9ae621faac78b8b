"""Contacts: an employee's own, and the shared ones only admins change."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from calls.exceptions import CallNotAllowed, ContactForbidden
from calls.models import Contact
from clicktodial_portal.phones import InvalidPhoneNumber, phone_number_normalize
from members.models import Member

if TYPE_CHECKING:
    from calls.contact_import import ContactImportRow


def phone_number_checked(raw: str, *, field: str) -> str:
    """The number in E.164, or CallNotAllowed saying what is wrong with it, for `field`."""
    try:
        return phone_number_normalize(raw)
    except InvalidPhoneNumber as exc:
        raise CallNotAllowed(str(exc), field=field) from exc


def contact_editable_by(*, user: AbstractBaseUser, contact: Contact) -> bool:
    """Own contacts are their owner's to change; shared ones (no owner) the admins'."""
    if contact.owner_id is None:
        return bool(user.is_staff)
    return contact.owner_id == user.pk


def _contact_number_check(*, owner: AbstractBaseUser | None, number: str, pk: int | None) -> None:
    # A private contact is its owner's to call, and the operator would ring them twice; a shared
    # one is everyone's, and the call guard refuses it only to whoever holds that number.
    if owner is not None and Member.objects.filter(user=owner, phone_number=number).exists():
        raise CallNotAllowed(
            _(
                "This is your own member number: the portal rings it first on every call, so "
                "it cannot also be the contact. Enter the number of the person you want to call."
            ),
            field="phone_number",
        )
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
    number = phone_number_checked(phone_number, field="phone_number")
    keeper = None if shared else owner
    _contact_number_check(owner=keeper, number=number, pk=None)
    return Contact.objects.create(
        owner=keeper, name=name, phone_number=number, company=company, notes=notes
    )


def contact_update(*, user: AbstractBaseUser, contact: Contact, **fields: str) -> Contact:
    if not contact_editable_by(user=user, contact=contact):
        raise ContactForbidden()
    if "phone_number" in fields:
        number = phone_number_checked(fields["phone_number"], field="phone_number")
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


def contacts_delete(*, user: AbstractBaseUser, contact_ids: Collection[int]) -> int:
    """Delete the contacts with `contact_ids` in one transaction, all or none: ContactForbidden
    when any is not `user`'s to change (someone else's, or shared and `user` no admin). Ids of
    contacts already gone are skipped. Returns how many were deleted."""
    with transaction.atomic():
        chosen = list(Contact.objects.select_for_update().filter(pk__in=set(contact_ids)))
        if not all(contact_editable_by(user=user, contact=contact) for contact in chosen):
            raise ContactForbidden(
                _("Nothing was deleted: only an administrator can delete shared contacts.")
            )
        Contact.objects.filter(pk__in=[contact.pk for contact in chosen]).delete()
    return len(chosen)


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
