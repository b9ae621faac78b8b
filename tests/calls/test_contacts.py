"""The contacts page and API: own and shared contacts, search, tel: buttons in notes, import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from calls.contact_import import parse_contact_file
from calls.models import Call, Contact
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def begins(monkeypatch) -> list[int]:
    """Record begin tasks instead of calling an operator."""
    enqueued: list[int] = []
    monkeypatch.setattr(
        "calls.tasks.call_begin_task.apply_async",
        lambda args, **options: enqueued.extend(args),
    )
    return enqueued


@pytest.fixture
def shared_contact() -> Contact:
    return Contact.objects.create(
        owner=None, name="Front desk", company="HQ", phone_number="+861052680099"
    )


@pytest.fixture
def as_teammate(client, teammate):
    client.force_login(teammate)
    return client


@pytest.fixture
def as_employee_client(employee) -> Client:
    """The employee in a browser of their own, beside another persona's `client`."""
    other = Client()
    other.force_login(employee)
    return other


@pytest.fixture
def as_teammate_client(teammate) -> Client:
    """The teammate in a browser of their own, beside another persona's `client`."""
    other = Client()
    other.force_login(teammate)
    return other


def names_on(response) -> list[str]:
    return [row["contact"].name for row in response.context["rows"]]


# Who sees and changes what


def test_it_lists_own_and_shared_contacts_in_few_queries(as_employee, contact, shared_contact):
    Contact.objects.create(owner=None, name="Support", phone_number="+8613800000009")
    with CaptureQueriesContext(connection) as queries:
        response = as_employee.get(reverse("contact-list"))

    assert response.status_code == 200
    assert names_on(response) == ["Front desk", "Li Wei", "Support"]
    # The session, the user, the pool (opened on first sight), the member, the permissions; the
    # page's count, rows and duplicated numbers.
    assert len(queries) <= 14


def test_a_teammate_sees_shared_contacts_but_not_private_ones(as_teammate, contact, shared_contact):
    response = as_teammate.get(reverse("contact-list"))

    assert names_on(response) == ["Front desk"]
    assert as_teammate.get(reverse("contact-edit", args=[contact.pk])).status_code == 404
    deleted = as_teammate.post(reverse("contact-delete", args=[contact.pk]))
    assert deleted.status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_the_owner_edits_and_deletes_their_contact(as_employee, contact):
    edited = as_employee.post(
        reverse("contact-edit", args=[contact.pk]),
        {"name": "Li Wei (work)", "company": "ACME", "phone_number": "138 0000 0002", "notes": ""},
    )

    assert edited.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.company, contact.phone_number) == (
        "Li Wei (work)",
        "ACME",
        "+8613800000002",
    )
    assert as_employee.post(reverse("contact-delete", args=[contact.pk])).status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_an_employee_cannot_change_a_shared_contact(as_employee, shared_contact):
    page = as_employee.get(reverse("contact-list"))
    assert reverse("contact-edit", args=[shared_contact.pk]) not in page.content.decode()

    assert as_employee.get(reverse("contact-edit", args=[shared_contact.pk])).status_code == 403
    edited = as_employee.post(
        reverse("contact-edit", args=[shared_contact.pk]),
        {"name": "Mine now", "phone_number": "+861052680099"},
    )
    assert edited.status_code == 403
    assert as_employee.post(reverse("contact-delete", args=[shared_contact.pk])).status_code == 403
    shared_contact.refresh_from_db()
    assert shared_contact.name == "Front desk"


def test_an_employee_cannot_add_a_shared_contact(as_employee, employee):
    response = as_employee.post(
        reverse("contact-list"),
        {"name": "Sneaky", "phone_number": "+8613800000003", "shared": "on"},
    )

    assert response.status_code == 302
    contact = Contact.objects.get(phone_number="+8613800000003")
    # The box is not on an employee's form, so the contact is their own.
    assert contact.owner == employee
    assert 'name="shared"' not in as_employee.get(reverse("contact-list")).content.decode()


def test_an_admin_adds_edits_and_deletes_shared_contacts(as_admin, as_employee_client):
    added = as_admin.post(
        reverse("contact-list"),
        {"name": "Reception", "phone_number": "010 5268 0001", "shared": "on"},
    )
    assert added.status_code == 302
    shared = Contact.objects.get(name="Reception")
    assert shared.owner is None and shared.phone_number == "+861052680001"

    again = as_admin.post(
        reverse("contact-list"),
        {"name": "Twice", "phone_number": "+861052680001", "shared": "on"},
    )
    assert again.status_code == 400
    assert "already a shared contact" in again.content.decode()

    edited = as_admin.post(
        reverse("contact-edit", args=[shared.pk]),
        {"name": "Reception desk", "phone_number": "+861052680001"},
    )
    assert edited.status_code == 302
    assert names_on(as_employee_client.get(reverse("contact-list"))) == ["Reception desk"]

    assert as_admin.post(reverse("contact-delete", args=[shared.pk])).status_code == 302
    assert not Contact.objects.filter(pk=shared.pk).exists()


def test_a_bad_number_is_explained_and_nothing_saved(as_employee):
    response = as_employee.post(reverse("contact-list"), {"name": "Bad", "phone_number": "hello"})

    assert response.status_code == 400
    body = response.content.decode()
    # The error is next to its field, which points at it (static/js/contacts.js focuses it).
    assert 'aria-invalid="true" aria-describedby="add-phone_number_error"' in body
    assert 'id="add-phone_number_error"' in body
    assert 'id="add-contact" open' in body  # the add form, at the top, shown open
    assert not Contact.objects.exists()


def test_anyone_calls_a_shared_contact(
    as_employee, member, shared_contact, begins, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_employee.post(reverse("call-start"), {"contact": shared_contact.pk})

    call = Call.objects.get()
    assert response.status_code == 302
    assert (call.contact, call.callee, call.callee_name) == (
        shared_contact,
        "+861052680099",
        "Front desk",
    )
    assert begins == [call.pk]


def test_calling_someone_elses_private_contact_is_404(as_teammate, teammate_member, contact):
    response = as_teammate.post(reverse("call-start"), {"contact": contact.pk})

    assert response.status_code == 404
    assert not Call.objects.exists()


# Search


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("13800000001", ["Li Wei"]),  # national
        ("+86 138 0000 0001", ["Li Wei"]),  # E.164, spaced
        ("0000 0001", ["Li Wei"]),  # part of a number
        ("010-5268-0099", ["Front desk"]),  # national with the trunk 0
        ("5268", ["Front desk"]),
        ("li w", ["Li Wei"]),  # name
        ("hq", ["Front desk"]),  # company
        ("nobody", []),
    ],
)
def test_it_searches_by_name_company_and_number(as_employee, contact, shared_contact, query, found):
    response = as_employee.get(reverse("contact-list"), {"q": query})

    assert response.status_code == 200
    assert names_on(response) == found


def test_search_never_finds_someone_elses_contact(as_teammate, contact):
    assert names_on(as_teammate.get(reverse("contact-list"), {"q": "13800000001"})) == []


# tel: links in notes


def test_tel_links_in_notes_become_call_buttons(as_employee, employee):
    Contact.objects.create(
        owner=employee,
        name="Zhang",
        phone_number="+8613800000001",
        notes="Mobile tel:+8613800000002, office tel:010-5268-0000; not tel:12ab",
    )

    body = as_employee.get(reverse("contact-list")).content.decode()

    assert body.count('name="callee"') == 2
    assert 'name="callee" value="+8613800000002"' in body
    assert 'name="callee" value="+861052680000"' in body
    assert "Call 010-5268-0000" in body
    assert "not tel:12ab" in body


def test_a_tel_button_starts_a_call_to_that_number(as_employee, member, begins):
    response = as_employee.post(reverse("call-start"), {"callee": "+861052680099"})

    assert response.status_code == 302
    assert Call.objects.get().callee == "+861052680099"


def test_markup_in_notes_is_escaped(as_employee, employee):
    Contact.objects.create(
        owner=employee,
        name="<b>Evil</b>",
        phone_number="+8613800000001",
        notes='<script>alert(1)</script> tel:+8613800000002"><img src=x onerror=alert(1)>',
    )

    body = as_employee.get(reverse("contact-list")).content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body
    assert "<b>Evil</b>" not in body
    assert 'name="callee" value="+8613800000002"' in body


# Pages, sort and search


def paged(client, **params):
    return client.get(reverse("contact-list"), params)


def follow_pages(client, **params) -> list:
    """Every page's responses, following "Next" from the first page."""
    pages = [paged(client, **params)]
    while pages[-1].context["next_query"]:
        pages.append(client.get(reverse("contact-list") + "?" + pages[-1].context["next_query"]))
    return pages


@pytest.fixture
def many(employee) -> list[Contact]:
    """120 contacts of the employee's, 60 of them named alike (only the id tells them apart)."""
    return Contact.objects.bulk_create(
        Contact(
            owner=employee,
            name="Same Name" if n % 2 else f"Person {n:03d}",
            company=f"Company {n % 7}",
            phone_number=f"+86138000{n:05d}",
        )
        for n in range(120)
    )


def test_pages_show_every_contact_once_across_equal_names(as_employee, many):
    pages = follow_pages(as_employee)

    shown = [row["contact"].pk for page in pages for row in page.context["rows"]]
    assert [len(page.context["rows"]) for page in pages] == [50, 50, 20]
    assert sorted(shown) == sorted(contact.pk for contact in many)
    assert len(shown) == len(set(shown))
    expected = Contact.objects.order_by("name", "id").values_list("pk", flat=True)
    assert shown == list(expected)
    assert [(p.context["page"].first, p.context["page"].last) for p in pages] == [
        (1, 50),
        (51, 100),
        (101, 120),
    ]
    assert all(page.context["page"].total == 120 for page in pages)
    assert "101–120 of 120 contacts" in pages[2].content.decode()  # noqa: RUF001 (an en dash)


def test_previous_goes_back_to_the_page_before(as_employee, many):
    first, second = follow_pages(as_employee)[:2]

    back = as_employee.get(reverse("contact-list") + "?" + second.context["previous_query"])

    assert names_on(back) == names_on(first)
    assert back.context["previous_query"] is None
    assert first.context["previous_query"] is None


def test_the_page_costs_the_same_queries_with_many_contacts(as_employee, many):
    # The first visit also opens the month's pool.
    token = paged(as_employee).context["page"].next.token()
    with CaptureQueriesContext(connection) as queries:
        second = paged(as_employee, after=token)

    assert len(second.context["rows"]) == 50
    # The session, the user, the member, the pool, the permissions; the page's count, its
    # position (a count of the rows before it), its rows and its duplicated numbers.
    assert len(queries) <= 10


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [
        ("name", "name", False),
        ("-name", "name", True),
        ("company", "company", False),
        ("-company", "company", True),
        ("number", "phone_number", False),
        ("-number", "phone_number", True),
    ],
)
def test_each_sort_pages_in_its_order(as_employee, many, sort, key, descending):
    pages = follow_pages(as_employee, sort=sort)

    shown = [row["contact"] for page in pages for row in page.context["rows"]]
    order = (f"-{key}", "-id") if descending else (key, "id")
    assert [c.pk for c in shown] == list(
        Contact.objects.order_by(*order).values_list("pk", flat=True)
    )
    assert all(f"sort={sort}" in page.context["next_query"] for page in pages[:-1]) or (
        sort == "name"
    )


def test_the_search_is_kept_across_pages_and_sorts(as_employee, many):
    # "Same Name": the 60 odd ones; by company, Z to A.
    pages = follow_pages(as_employee, q="Same", sort="-company")

    shown = [row["contact"] for page in pages for row in page.context["rows"]]
    assert len(shown) == 60 and {c.name for c in shown} == {"Same Name"}
    assert pages[0].context["page"].total == 60
    assert "q=Same" in pages[0].context["next_query"]
    assert "q=Same" in pages[1].context["previous_query"]
    sort_link = pages[1].context["sort_links"]["number"]["query"]
    assert "q=Same" in sort_link and "after" not in sort_link and "before" not in sort_link
    assert [c.company for c in shown] == sorted((c.company for c in shown), reverse=True)


def test_a_cursor_edited_by_hand_or_from_another_sort_starts_over(as_employee, many):
    by_name = paged(as_employee).context["page"].next.token()

    assert paged(as_employee, after="not-a-cursor").context["page"].first == 1
    assert paged(as_employee, sort="company", after=by_name).context["page"].first == 1


def test_a_page_whose_contacts_were_all_deleted_shows_the_first(as_employee, many):
    last = follow_pages(as_employee)[-1]
    Contact.objects.filter(pk__in=[row["contact"].pk for row in last.context["rows"]]).delete()

    again = as_employee.get(reverse("contact-list") + "?" + last.context["request"].GET.urlencode())

    assert again.context["page"].first == 1 and len(again.context["rows"]) == 50


def test_an_empty_search_says_so(as_employee, many):
    response = paged(as_employee, q="nobody at all")

    assert response.context["page"].total == 0
    assert "No contact matches" in response.content.decode()


# Own number, duplicates


def test_the_callers_own_number_is_refused_and_why(as_employee, member, contact):
    added = as_employee.post(
        reverse("contact-list"), {"name": "Me", "phone_number": "139 1234 5673"}
    )
    edited = as_employee.post(
        reverse("contact-edit", args=[contact.pk]),
        {"name": "Li Wei", "phone_number": "+8613912345673"},
    )

    assert added.status_code == 400 and edited.status_code == 400
    assert "your own member number" in added.content.decode()
    assert "your own member number" in edited.content.decode()
    assert list(Contact.objects.values_list("phone_number", flat=True)) == ["+8613800000001"]


def test_someone_elses_member_number_is_a_contact_like_any(as_employee, member, teammate_member):
    added = as_employee.post(
        reverse("contact-list"), {"name": "Li Na", "phone_number": "+8613912340000"}
    )

    assert added.status_code == 302


def test_the_own_number_is_refused_through_the_api_too(member):
    response = api_client_for(member.user).post(
        "/api/v1/contacts/", {"name": "Me", "phone_number": "+8613912345673"}, format="json"
    )

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_a_number_both_shared_and_private_is_flagged_duplicate(
    as_employee, as_teammate_client, employee, shared_contact
):
    mine = Contact.objects.create(
        owner=employee, name="Desk", phone_number=shared_contact.phone_number
    )
    Contact.objects.create(owner=employee, name="Alone", phone_number="+8613800000005")

    response = as_employee.get(reverse("contact-list"))

    flagged = {row["contact"].name for row in response.context["rows"] if row["duplicate"]}
    assert flagged == {"Front desk", mine.name}
    assert response.content.decode().count("badge-duplicate") == 2
    # The teammate does not see the employee's private one: no duplicate for them.
    theirs = as_teammate_client.get(reverse("contact-list"))
    assert not any(row["duplicate"] for row in theirs.context["rows"])


# Deleting: confirmed first, several at once


def test_delete_asks_to_confirm_first(as_employee, contact):
    asked = as_employee.get(reverse("contact-delete", args=[contact.pk]))

    assert asked.status_code == 200
    assert "stay in the history" in asked.content.decode()
    assert Contact.objects.filter(pk=contact.pk).exists()
    edit_page = as_employee.get(reverse("contact-edit", args=[contact.pk])).content.decode()
    assert f'href="{reverse("contact-delete", args=[contact.pk])}"' in edit_page


def test_bulk_delete_confirms_then_deletes_the_ticked_contacts(as_employee, many):
    chosen = [many[0].pk, many[1].pk, many[2].pk]
    url = reverse("contact-bulk-delete")

    asked = as_employee.post(url, {"contact": chosen, "q": "Person", "sort": "-name"})
    assert asked.status_code == 200
    assert Contact.objects.filter(pk__in=chosen).count() == 3
    assert 'name="confirmed" value="1"' in asked.content.decode()

    done = as_employee.post(
        url, {"contact": chosen, "confirmed": "1", "q": "Person", "sort": "-name"}
    )

    assert done.status_code == 302
    assert done["Location"] == reverse("contact-list") + "?q=Person&sort=-name"
    assert not Contact.objects.filter(pk__in=chosen).exists()
    assert Contact.objects.count() == 117


def test_bulk_delete_with_nothing_ticked_deletes_nothing(as_employee, many):
    response = as_employee.post(reverse("contact-bulk-delete"), {"confirmed": "1"})

    assert response.status_code == 302
    assert Contact.objects.count() == 120


def test_an_employee_cannot_bulk_delete_a_shared_contact(as_employee, contact, shared_contact):
    both = {"contact": [contact.pk, shared_contact.pk], "confirmed": "1"}

    assert as_employee.post(reverse("contact-bulk-delete"), both).status_code == 403
    assert Contact.objects.count() == 2  # all or nothing: not even their own went
    page = as_employee.get(reverse("contact-list")).content.decode()
    assert f'name="contact" value="{shared_contact.pk}" form="contact-bulk"' not in page
    assert f'name="contact" value="{contact.pk}" form="contact-bulk"' in page


def test_bulk_delete_of_someone_elses_contact_is_404(as_teammate, contact):
    response = as_teammate.post(
        reverse("contact-bulk-delete"), {"contact": [contact.pk], "confirmed": "1"}
    )

    assert response.status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_an_admin_bulk_deletes_shared_contacts(as_admin, shared_contact):
    other = Contact.objects.create(owner=None, name="Support", phone_number="+8613800000009")

    response = as_admin.post(
        reverse("contact-bulk-delete"), {"contact": [shared_contact.pk, other.pk], "confirmed": "1"}
    )

    assert response.status_code == 302
    assert not Contact.objects.exists()


def test_the_service_refuses_what_the_user_may_not_change(
    employee, teammate, contact, shared_contact
):
    from calls.exceptions import ContactForbidden
    from calls.services.contacts import contacts_delete

    for ids in ([contact.pk, shared_contact.pk], [contact.pk]):
        with pytest.raises(ContactForbidden):
            contacts_delete(user=teammate if ids == [contact.pk] else employee, contact_ids=ids)
    assert Contact.objects.count() == 2
    assert contacts_delete(user=employee, contact_ids=[contact.pk, 10_000]) == 1


# Import


def upload(client, name: str, content: str, **extra):
    return client.post(
        reverse("contact-import"),
        {"action": "upload", "file": SimpleUploadedFile(name, content.encode()), **extra},
    )


def confirm(client):
    preview = client.session["contacts_import"]["id"]
    return client.post(reverse("contact-import"), {"action": "import", "preview": preview})


def test_a_clean_csv_previews_then_imports_every_row(as_employee, employee):
    csv_text = (
        "name,phone_number,company,notes\n"
        "Zhao,13800000011,ACME,tel:+8613800000012\n"
        "Qian,+86 138 0000 0013,,\n"
    )
    assert upload(as_employee, "contacts.csv", csv_text).status_code == 302
    preview = as_employee.get(reverse("contact-import"))
    assert [row.errors for row in preview.context["rows"]] == [{}, {}]
    assert not Contact.objects.exists()

    assert confirm(as_employee).status_code == 302

    assert sorted(Contact.objects.values_list("name", "phone_number", "owner")) == [
        ("Qian", "+8613800000013", employee.pk),
        ("Zhao", "+8613800000011", employee.pk),
    ]


def test_an_excel_workbook_imports_like_a_csv_its_guarded_cells_as_they_were(as_employee, employee):
    """XLSX as members import it (clicktodial_portal.tables): numbers typed as numbers, and a
    note an export guarded against being run as a formula comes back without the apostrophe."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone_number", "company", "notes"])
    sheet.append(["Zhao", 8613800000051, "ACME", "'=ask for the buyer"])
    sheet.append([None, None, None, None])
    sheet.append(["Qian", "13800000052", None, None])
    data = io.BytesIO()
    workbook.save(data)
    response = as_employee.post(
        reverse("contact-import"),
        {"action": "upload", "file": SimpleUploadedFile("book.xlsx", data.getvalue())},
    )
    assert response.status_code == 302

    assert confirm(as_employee).status_code == 302

    assert sorted(Contact.objects.values_list("name", "phone_number", "notes")) == [
        ("Qian", "+8613800000052", ""),
        ("Zhao", "+8613800000051", "=ask for the buyer"),
    ]


def test_csv_rows_with_errors_are_shown_and_nothing_is_imported(as_employee, contact):
    csv_text = (
        "name,phone_number,company,notes\n"
        "Good,13800000021,,\n"
        "Bad number,12ab,,\n"
        "Existing,+8613800000001,,\n"
        "Twice,13800000021,,\n"
        ",13800000022,,\n"
    )
    upload(as_employee, "contacts.csv", csv_text)
    preview = as_employee.get(reverse("contact-import"))

    errors = {row.line: row.errors for row in preview.context["rows"]}
    assert errors[2] == {}
    assert "phone_number" in errors[3]
    assert "already the contact Li Wei" in errors[4]["phone_number"]
    assert "also on row 2" in errors[5]["phone_number"]
    assert errors[6] == {"name": "The name is missing."}
    assert "Import 5 contacts" not in preview.content.decode()

    confirm(as_employee)

    assert list(Contact.objects.values_list("name", flat=True)) == ["Li Wei"]


def test_a_contact_added_after_the_preview_stops_the_whole_import(as_employee, employee):
    upload(as_employee, "c.csv", "name,phone_number\nA,13800000031\nB,13800000032\n")
    Contact.objects.create(owner=employee, name="Meanwhile", phone_number="+8613800000032")

    response = confirm(as_employee)

    assert response.status_code == 302
    assert list(Contact.objects.values_list("name", flat=True)) == ["Meanwhile"]


def test_a_csv_with_a_wrong_header_is_refused(as_employee):
    response = upload(as_employee, "c.csv", "who,number\nA,13800000031\n")

    assert response.status_code == 400
    assert "header" in response.content.decode()
    assert "contacts_import" not in as_employee.session


VCARDS = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Sun Li\r\n"
    "ORG:Sun Trading;Sales\r\n"
    "TEL;TYPE=CELL:+86 138 0000 0041\r\n"
    "TEL;TYPE=WORK,VOICE:010 5268 0042\r\n"
    "NOTE:Prefers mornings\\, not Fridays.\\nAsk for\r\n"
    "  the buyer.\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=9D=8E=E9=9B=B7\r\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+86-138-0000-0043\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:No Number\r\n"
    "END:VCARD\r\n"
)


def test_vcard_cards_become_rows():
    rows = parse_contact_file("phone.vcf", VCARDS.encode())

    assert [(row.line, row.name, row.phone_number, row.company) for row in rows] == [
        (1, "Sun Li (cell)", "+86 138 0000 0041", "Sun Trading; Sales"),
        (1, "Sun Li (work)", "010 5268 0042", "Sun Trading; Sales"),
        (2, "李雷", "+86-138-0000-0043", ""),
        (3, "No Number", "", ""),
    ]
    assert rows[0].notes == "Prefers mornings, not Fridays.\nAsk for the buyer."


def test_a_vcard_with_an_error_imports_nothing_then_imports_once_fixed(as_employee):
    upload(as_employee, "phone.vcf", VCARDS)
    preview = as_employee.get(reverse("contact-import"))
    assert [row.errors for row in preview.context["rows"]][:3] == [{}, {}, {}]
    assert preview.context["rows"][3].errors == {"phone_number": "The number is missing."}
    confirm(as_employee)
    assert not Contact.objects.exists()

    fixed = VCARDS.replace("FN:No Number\r\n", "FN:No Number\r\nTEL:13800000044\r\n")
    upload(as_employee, "phone.vcf", fixed)
    confirm(as_employee)

    assert sorted(Contact.objects.values_list("phone_number", flat=True)) == [
        "+861052680042",
        "+8613800000041",
        "+8613800000043",
        "+8613800000044",
    ]


def test_an_admin_imports_shared_contacts_and_an_employee_cannot(as_admin, employee):
    upload(as_admin, "c.csv", "name,phone_number\nDesk,01052680051\n", shared="on")
    confirm(as_admin)
    assert Contact.objects.get().owner is None

    as_admin.force_login(employee)
    upload(as_admin, "c.csv", "name,phone_number\nDesk 2,01052680052\n", shared="on")
    confirm(as_admin)
    assert Contact.objects.get(name="Desk 2").owner == employee


# API


def test_api_lists_own_and_shared_and_hides_private(api, contact, shared_contact, teammate):
    own = api.get(reverse("api-contact-list")).json()
    assert sorted((c["name"], c["shared"]) for c in own["results"]) == [
        ("Front desk", True),
        ("Li Wei", False),
    ]
    outsider = api_client_for(teammate)
    assert [c["name"] for c in outsider.get(reverse("api-contact-list")).json()["results"]] == [
        "Front desk"
    ]
    assert outsider.get(reverse("api-contact-detail", args=[contact.pk])).status_code == 404
    assert outsider.delete(reverse("api-contact-detail", args=[contact.pk])).status_code == 404


def test_api_employee_gets_403_writing_shared_contacts(api, shared_contact):
    url = reverse("api-contact-detail", args=[shared_contact.pk])

    assert api.patch(url, {"name": "Mine"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    created = api.post(
        reverse("api-contact-list"),
        {"name": "Desk", "phone_number": "01052680061", "shared": True},
        format="json",
    )
    assert created.status_code == 403
    shared_contact.refresh_from_db()
    assert shared_contact.name == "Front desk"
    assert Contact.objects.count() == 1


def test_api_admin_writes_shared_contacts(admin_user, shared_contact):
    admin = api_client_for(admin_user)

    created = admin.post(
        reverse("api-contact-list"),
        {"name": "Desk", "phone_number": "01052680061", "shared": True},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["shared"] is True
    assert Contact.objects.get(pk=created.json()["id"]).owner is None

    url = reverse("api-contact-detail", args=[shared_contact.pk])
    assert admin.patch(url, {"name": "Lobby"}, format="json").status_code == 200
    assert Contact.objects.get(pk=shared_contact.pk).name == "Lobby"
    assert admin.delete(url).status_code == 204
    assert not Contact.objects.filter(pk=shared_contact.pk).exists()
