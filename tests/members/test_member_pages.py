"""The member management pages: members, departments, business numbers, import, export (the
audit log's page: tests/audit)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditLogEntry
from members import importing
from members.models import BusinessNumber, Department, Member
from members.pool.services import pool_current
from members.services import sponsor_for
from members.views.member_files import IMPORT_SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales() -> Department:
    return Department.objects.create(name="Sales")


@pytest.fixture
def hotline() -> BusinessNumber:
    return BusinessNumber.objects.create(phone_number="+862161230000", label="Hotline")


@pytest.fixture
def employee_client(client, employee):
    client.force_login(employee)
    return client


def upload(client, name: str, data: bytes):
    return client.post(
        reverse("member-import"), {"action": "upload", "file": SimpleUploadedFile(name, data)}
    )


def confirm(client):
    pending = client.session[IMPORT_SESSION_KEY]
    return client.post(
        reverse("member-import"), {"action": "import", "preview": pending["id"]}, follow=True
    )


def csv_file(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx_file(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def member_rows() -> list[tuple]:
    return list(
        Member.objects.order_by("phone_number").values_list(
            "name", "phone_number", "department__name", "status", "minutes_cap", "user__username"
        )
    )


# Who may see the pages: admins; employees get 403; anonymous people are sent to log in.

PAGES = [
    ("member-list", lambda o: {}),
    ("member-edit", lambda o: {"pk": o["member"].pk}),
    ("department-list", lambda o: {}),
    ("department-edit", lambda o: {"pk": o["department"].pk}),
    ("business-number-list", lambda o: {}),
    ("business-number-edit", lambda o: {"pk": o["number"].pk}),
    ("member-import", lambda o: {}),
    ("member-export", lambda o: {"fmt": "csv"}),
    ("member-export", lambda o: {"fmt": "xlsx"}),
]
ACTIONS = ["member-suspend", "member-reactivate", "member-remove"]


@pytest.fixture
def objects(member, sales, hotline) -> dict:
    return {"member": member, "department": sales, "number": hotline}


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_admins_see_every_page(admin_client, objects, name, kwargs):
    response = admin_client.get(reverse(name, kwargs=kwargs(objects)))

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_employees_get_403_on_every_page(employee_client, objects, name, kwargs):
    response = employee_client.get(reverse(name, kwargs=kwargs(objects)))

    assert response.status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_people_are_sent_to_log_in(client, objects, name, kwargs):
    url = reverse(name, kwargs=kwargs(objects))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ACTIONS)
def test_only_admins_may_change_a_members_status(client, employee, member, name):
    url = reverse(name, kwargs={"pk": member.pk})

    anonymous = client.post(url)
    client.force_login(employee)
    forbidden = client.post(url)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert forbidden.status_code == 403
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert not AuditLogEntry.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("member-list", {"name": "X", "phone_number": "+8613912340001", "status": "active"}),
        ("department-list", {"name": "Support"}),
        ("business-number-list", {"phone_number": "+861052680000"}),
    ],
)
def test_employees_cannot_add_anything(employee_client, name, data):
    response = employee_client.post(reverse(name), data)

    assert response.status_code == 403
    assert not AuditLogEntry.objects.exists()


def test_employees_cannot_import(employee_client):
    response = upload(employee_client, "m.csv", csv_file("name,phone_number,department", "A,1,"))

    assert response.status_code == 403
    assert IMPORT_SESSION_KEY not in employee_client.session


def test_the_members_link_is_shown_to_admins_only(admin_client, employee_client):
    link = f'href="{reverse("member-list")}"'

    assert link in admin_client.get(reverse("contact-list")).content.decode()
    assert link not in employee_client.get(reverse("contact-list")).content.decode()


# Members


def test_an_admin_adds_a_member_normalised_and_audited(admin_client, admin_user, employee, sales):
    response = admin_client.post(
        reverse("member-list"),
        {
            "name": " Wang Fang ",
            "phone_number": "139 1234 5673",
            "department": sales.pk,
            "username": "wang",
            "status": "active",
            "minutes_cap": "120",
        },
    )

    assert response.status_code == 302
    assert member_rows() == [("Wang Fang", "+8613912345673", "Sales", "active", 120, "wang")]
    entry = AuditLogEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_type, entry.before) == (
        admin_user,
        "create",
        "Member",
        None,
    )
    assert entry.after["phone_number"] == "+8613912345673"


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"phone_number": "+8613912345673"}, "phone_number", "is already a member number"),
        ({"phone_number": "12345"}, "phone_number", "'12345' is not a phone number"),
        ({"username": "ghost"}, "username", "There is no portal user “ghost”."),
        ({"username": "wang"}, "username", "The user wang already has member number"),
        ({"name": "   "}, "name", "Enter the member's name."),
        ({"minutes_cap": "-1"}, "minutes_cap", "greater than or equal to 0"),
    ],
)
def test_adding_a_bad_member_shows_the_error_at_its_field_and_writes_nothing(
    admin_client, member, data, field, error
):
    form = {"name": "Li Na", "phone_number": "+8613912340000", "status": "active", **data}

    response = admin_client.post(reverse("member-list"), form)

    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors[field])
    assert error.replace("'", "&#x27;") in response.content.decode()
    assert Member.objects.count() == 1
    assert not AuditLogEntry.objects.exists()


def test_an_admin_edits_a_member_and_the_log_keeps_before_and_after(admin_client, member, sales):
    response = admin_client.post(
        reverse("member-edit", kwargs={"pk": member.pk}),
        {
            "name": "Wang Fang (Sales)",
            "phone_number": member.phone_number,
            "department": sales.pk,
            "username": "wang",
            "status": "active",
            "minutes_cap": "",
        },
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.department) == ("Wang Fang (Sales)", sales)
    entry = AuditLogEntry.objects.get(action="update")
    assert (entry.before["name"], entry.after["name"]) == ("Wang Fang", "Wang Fang (Sales)")
    assert (entry.before["department"], entry.after["department"]) == (None, "Sales")


def test_editing_to_a_taken_number_shows_the_error_and_changes_nothing(
    admin_client, member, teammate_member
):
    response = admin_client.post(
        reverse("member-edit", kwargs={"pk": member.pk}),
        {"name": "Wang Fang", "phone_number": teammate_member.phone_number, "status": "active"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["phone_number"] == [
        "+8613912340000 is already a member number."
    ]
    member.refresh_from_db()
    assert member.phone_number == "+8613912345673"


def test_suspend_reactivate_and_remove_are_audited_and_remove_keeps_the_member(
    admin_client, member
):
    back = f"{reverse('member-list')}?status=active"
    for name in ACTIONS:
        response = admin_client.post(reverse(name, kwargs={"pk": member.pk}), {"next": back})
        assert response.status_code == 302
        assert response["Location"] == back

    member.refresh_from_db()
    assert member.status == Member.Status.REMOVED
    entries = AuditLogEntry.objects.filter(object_id=str(member.pk)).order_by("id")
    assert [(e.action, e.before["status"], e.after["status"]) for e in entries] == [
        ("update", "active", "suspended"),
        ("update", "suspended", "active"),
        ("remove", "active", "removed"),
    ]


def test_the_action_buttons_never_redirect_off_site(admin_client, member):
    response = admin_client.post(
        reverse("member-suspend", kwargs={"pk": member.pk}), {"next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("member-list")


def test_status_changes_are_post_only(admin_client, member):
    response = admin_client.get(reverse("member-remove", kwargs={"pk": member.pk}))

    assert response.status_code == 405
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_the_list_filters_by_status_department_and_search(admin_client, member, sales):
    Member.objects.create(name="Li Na", phone_number="+8613912340000", department=sales)
    Member.objects.create(name="Old Hand", phone_number="+8613700000000", status="suspended")

    def names(**query) -> list[str]:
        response = admin_client.get(reverse("member-list"), query)
        return [m.name for m in response.context["page"]]

    assert names() == ["Li Na", "Old Hand", "Wang Fang"]
    assert names(status="suspended") == ["Old Hand"]
    assert names(department=sales.pk) == ["Li Na"]
    assert names(department="none") == ["Old Hand", "Wang Fang"]
    assert names(q="wang") == ["Wang Fang"]
    assert names(q="1391234 0000") == ["Li Na"]
    assert names(status="bogus", department="x") == ["Li Na", "Old Hand", "Wang Fang"]


def test_the_list_takes_the_same_few_queries_however_many_members(
    admin_client, sales, django_user_model, django_assert_max_num_queries
):
    for i in range(40):
        user = django_user_model.objects.create_user(username=f"user{i}")
        Member.objects.create(
            name=f"Member {i}", phone_number=f"+86139000{i:05d}", department=sales, user=user
        )

    pool_current()  # the month's pool exists already, as on any day after its first call
    # session, user, count, page (members with department and user), departments twice,
    # the pool and the minutes each member used this month.
    with django_assert_max_num_queries(9):
        response = admin_client.get(reverse("member-list"))

    assert len(response.context["page"]) == 40
    assert "user39" in response.content.decode()


# Departments and business numbers


def test_an_admin_adds_and_edits_a_department_audited(admin_client, hotline):
    admin_client.post(reverse("department-list"), {"name": "Support", "minutes_cap": "500"})
    support = Department.objects.get(name="Support")
    response = admin_client.post(
        reverse("department-edit", kwargs={"pk": support.pk}),
        {"name": "Support", "business_number": hotline.pk, "minutes_cap": ""},
    )

    assert response.status_code == 302
    support.refresh_from_db()
    assert (support.business_number, support.minutes_cap) == (hotline, None)
    created, changed = AuditLogEntry.objects.filter(object_type="Department").order_by("id")
    assert (created.action, created.after["minutes_cap"]) == ("create", 500)
    assert (changed.before["minutes_cap"], changed.after["minutes_cap"]) == (500, None)
    assert changed.after["business_number"] == "+862161230000"


def test_a_department_name_that_is_taken_is_refused_at_the_name_field(admin_client, sales):
    response = admin_client.post(reverse("department-list"), {"name": "Sales"})

    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "There is already a department called Sales."
    ]
    assert Department.objects.count() == 1


def test_a_new_default_business_number_takes_over_and_both_changes_are_audited(
    admin_client, hotline
):
    BusinessNumber.objects.filter(pk=hotline.pk).update(is_default=True)

    response = admin_client.post(
        reverse("business-number-list"),
        {"phone_number": " 01052680000 ", "label": "Head office", "is_default": "on"},
    )

    assert response.status_code == 302
    # Kept as the operator registered it (and the admin typed it): it is sent so.
    assert list(BusinessNumber.objects.values_list("phone_number", "is_default")) == [
        ("01052680000", True),
        ("+862161230000", False),
    ]
    assert sorted(
        AuditLogEntry.objects.filter(object_type="BusinessNumber").values_list(
            "action", "object_repr"
        )
    ) == [("create", "Head office (01052680000)"), ("update", "Hotline (+862161230000)")]


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("abc", "exactly as the operator registered it"),
        ("010 5268 0000", "exactly as the operator registered it"),
        ("010-5268-0000", "exactly as the operator registered it"),
        ("12", "exactly as the operator registered it"),
        ("0105268", "is not a phone number"),
    ],
)
def test_a_bad_business_number_is_refused_at_its_field(admin_client, hotline, typed, problem):
    response = admin_client.post(
        reverse("business-number-edit", kwargs={"pk": hotline.pk}), {"phone_number": typed}
    )

    assert response.status_code == 400
    assert problem in response.context["form"].errors["phone_number"][0]
    hotline.refresh_from_db()
    assert hotline.phone_number == "+862161230000"


def test_the_same_business_number_in_another_form_is_refused(admin_client, hotline):
    response = admin_client.post(reverse("business-number-list"), {"phone_number": "02161230000"})

    assert response.status_code == 400
    assert "already a business number" in response.context["form"].errors["phone_number"][0]
    assert BusinessNumber.objects.count() == 1


def test_a_call_shows_the_business_number_exactly_as_registered(admin_client, member):
    admin_client.post(
        reverse("business-number-list"),
        {"phone_number": "01052680000", "label": "Head office", "is_default": "on"},
    )

    assert sponsor_for(member) == "01052680000"


# Import


def test_the_preview_shows_each_bad_rows_error_and_writes_nothing(admin_client, member, sales):
    data = csv_file(
        "name,phone_number,department,status,minutes_cap,username",
        "Good One,+8613912340001,Sales,,,",
        "Bad Number,12345,,,,",
        "Existing,139 1234 5673,,,,",
        "First,+8613912340002,,,,",
        "Second,+8613912340002,,,,",
        "Lost,+8613912340003,Marketing,,,",
        "Ghost,+8613912340004,,,,nobody",
        ",+8613912340005,,,,",
        "Fired,+8613912340006,,fired,many,",
    )

    response = upload(admin_client, "members.csv", data)
    assert response.status_code == 302
    page = admin_client.get(reverse("member-import"))

    body = page.content.decode()
    assert "6 of 9 rows have errors" in body
    for expected in [
        "Row 3</a>: &#x27;12345&#x27; is not a phone number",
        "Row 6</a>: +8613912340002 is also on row 5.",
        "Row 7</a>: There is no department called “Marketing”.",
        "Row 8</a>: There is no portal user “nobody”.",
        "Row 9</a>: The name is missing.",
        "Row 10</a>: The status “fired” is not one of active, suspended, removed.",
        "Row 10</a>: The minutes cap “many” is not a whole number",
    ]:
        assert expected in body
    assert "Row 4</a>" not in body  # a member's number: the row updates that member
    assert "Updates Name" in body
    assert 'name="action" value="import"' not in body
    assert Member.objects.count() == 1
    assert not AuditLogEntry.objects.exists()


def test_confirming_a_preview_with_errors_writes_nothing(admin_client):
    upload(admin_client, "m.csv", csv_file("name,phone_number,department", "A,+8613912340001,X"))

    response = confirm(admin_client)

    assert "Nothing was imported" in response.content.decode()
    assert not Member.objects.exists()


def test_a_clean_csv_imports_every_row_each_audited_as_import(
    admin_client, admin_user, employee, sales
):
    data = b"\xef\xbb\xbf" + csv_file(
        "name,phone_number,department,status,minutes_cap,username",
        "王芳,139 1234 5673,Sales,,60,wang",
        "Li Na,+8613912340000,,suspended,,",
    )

    upload(admin_client, "members.csv", data)
    preview = admin_client.get(reverse("member-import")).content.decode()
    response = confirm(admin_client)

    assert "New members: 2 · members updated: 0 · unchanged: 0." in preview
    assert response.redirect_chain[-1][0] == reverse("member-list")
    assert "members.csv imported: 2 new members, 0 members updated." in response.content.decode()
    assert member_rows() == [
        ("Li Na", "+8613912340000", None, "suspended", None, None),
        ("王芳", "+8613912345673", "Sales", "active", 60, "wang"),
    ]
    assert list(AuditLogEntry.objects.values_list("action", "actor")) == [
        ("import", admin_user.pk),
        ("import", admin_user.pk),
    ]
    assert IMPORT_SESSION_KEY not in admin_client.session


def test_a_clean_xlsx_imports_every_row(admin_client, sales):
    data = xlsx_file(
        [
            ["name", "phone_number", "department", "minutes_cap"],
            ["Wang Fang", 8613912345673, "Sales", 30],
            ["Li Na", "+8613912340000", None, None],
        ]
    )

    upload(admin_client, "members.xlsx", data)
    response = confirm(admin_client)

    assert "2 new members" in response.content.decode()
    assert member_rows() == [
        ("Li Na", "+8613912340000", None, "active", None, None),
        ("Wang Fang", "+8613912345673", "Sales", "active", 30, None),
    ]
    assert AuditLogEntry.objects.filter(action="import").count() == 2


def test_a_user_linked_between_preview_and_confirm_imports_nothing(admin_client, employee):
    upload(
        admin_client,
        "m.csv",
        csv_file(
            "name,phone_number,department,username", "A,+8613912340001,,", "B,+8613912340002,,wang"
        ),
    )
    Member.objects.create(name="Quick", phone_number="+8613912340009", user=employee)

    response = confirm(admin_client)

    body = response.content.decode()
    assert "Nothing was imported: some rows have errors now" in body
    assert "Row 3</a>: The user wang already has member number +8613912340009." in body
    assert list(Member.objects.values_list("name", flat=True)) == ["Quick"]


def test_the_import_rolls_back_when_the_check_is_bypassed_and_a_row_fails(
    admin_client, monkeypatch
):
    upload(
        admin_client,
        "m.csv",
        csv_file(
            "name,phone_number,department",
            "A,+8613912340001,",
            "B,+8613912340002,",
            "C,+8613912340003,",
        ),
    )
    # The number is taken after the confirm's own check passed: only the transaction is left.
    Member.objects.create(name="Racer", phone_number="+8613912340003")
    monkeypatch.setattr(importing, "validate_rows", lambda rows, lookups: list(rows))

    response = confirm(admin_client)

    assert (
        "Row 4: +8613912340003 is already a member number. Nothing was imported."
        in response.content.decode()
    )
    assert list(Member.objects.values_list("name", flat=True)) == ["Racer"]
    assert not AuditLogEntry.objects.exists()


def test_an_out_of_date_preview_is_not_imported(admin_client):
    upload(admin_client, "m.csv", csv_file("name,phone_number,department", "A,+8613912340001,"))

    response = admin_client.post(
        reverse("member-import"), {"action": "import", "preview": "stale"}, follow=True
    )

    assert "That preview is out of date" in response.content.decode()
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("m.csv", csv_file("name,number", "A,1"), "The header row has missing phone_number"),
        ("m.pdf", b"%PDF", "Upload a .csv or .xlsx file."),
        (
            "m.csv",
            csv_file(
                "name,phone_number,department",
                *(f"M,+86139{i:08d}," for i in range(importing.MEMBER_TABLE.max_rows + 1)),
            ),
            "The file has more than 5,000 members.",
        ),
    ],
)
def test_an_unreadable_file_is_refused_at_the_upload_field(admin_client, name, data, error):
    response = upload(admin_client, name, data)

    assert response.status_code == 400
    assert error in response.context["form"].errors["file"][0]
    assert IMPORT_SESSION_KEY not in admin_client.session


def test_start_over_forgets_the_uploaded_file(admin_client):
    upload(admin_client, "m.csv", csv_file("name,phone_number,department", "A,+8613912340001,"))

    admin_client.post(reverse("member-import"), {"action": "cancel"})

    assert IMPORT_SESSION_KEY not in admin_client.session
    assert b"Upload a file" in admin_client.get(reverse("member-import")).content


# Export


@pytest.fixture
def staff(member, teammate_member, sales) -> list[Member]:
    Member.objects.filter(pk=member.pk).update(department=sales, minutes_cap=90)
    Member.objects.filter(pk=teammate_member.pk).update(status="suspended")
    return [
        member,
        teammate_member,
        Member.objects.create(name="=HYPERLINK(1)", phone_number="+8613700000000"),
    ]


def test_the_csv_export_streams_the_filtered_members_with_the_import_header(admin_client, staff):
    response = admin_client.get(reverse("member-export", kwargs={"fmt": "csv"}), {"q": "a"})

    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="members-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.splitlines() == [
        "\ufeffName,Member number,Department,Status,Status code,Minutes cap,Portal user",
        "Li Na,+8613912340000,,Suspended,suspended,,li",
        "Wang Fang,+8613912345673,Sales,Active,active,90,wang",
    ]


def test_the_csv_export_keeps_spreadsheets_from_running_a_name_as_a_formula(admin_client, staff):
    response = admin_client.get(reverse("member-export", kwargs={"fmt": "csv"}), {"q": "HYPER"})

    rows = b"".join(response.streaming_content).decode().splitlines()
    assert rows[1] == "'=HYPERLINK(1),+8613700000000,,Active,active,,"


def test_the_xlsx_export_has_the_same_columns_and_filters(admin_client, staff):
    response = admin_client.get(
        reverse("member-export", kwargs={"fmt": "xlsx"}), {"status": "active"}
    )

    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert list(workbook.active.values) == [
        tuple(importing.MEMBER_TABLE.header_words()),
        ("=HYPERLINK(1)", "+8613700000000", None, "Active", "active", None, None),
        ("Wang Fang", "+8613912345673", "Sales", "Active", "active", 90, "wang"),
    ]
    assert workbook.active["A2"].data_type == "s"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_re_imports_to_the_same_members(admin_client, staff, fmt):
    before = member_rows()
    response = admin_client.get(reverse("member-export", kwargs={"fmt": fmt}))
    exported = b"".join(response.streaming_content)
    Member.objects.all().delete()

    upload(admin_client, f"members.{fmt}", exported)
    result = confirm(admin_client)

    assert "3 new members, 0 members updated" in result.content.decode()
    assert member_rows() == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imported_back_changes_nothing(admin_client, staff, fmt):
    """The round trip an admin makes to edit members in a spreadsheet: with no edit, every row
    is the member it names, unchanged, and nothing is written or audited."""
    before = member_rows()
    exported = b"".join(
        admin_client.get(reverse("member-export", kwargs={"fmt": fmt})).streaming_content
    )
    audited = AuditLogEntry.objects.count()

    upload(admin_client, f"members.{fmt}", exported)
    preview = admin_client.get(reverse("member-import")).content.decode()
    result = confirm(admin_client)

    assert "New members: 0 · members updated: 0 · unchanged: 3." in preview
    assert preview.count("No change") == 3
    assert "matches the members as they are: nothing changed" in result.content.decode()
    assert member_rows() == before
    assert AuditLogEntry.objects.count() == audited


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_in_chinese_imported_in_english_changes_nothing(admin_client, staff, fmt):
    """The export speaks its reader's language (headers, statuses) with each status's code
    beside it; the import reads it back whoever imports it, in whichever language."""
    before = member_rows()
    exported = b"".join(
        admin_client.get(
            reverse("member-export", kwargs={"fmt": fmt}), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).streaming_content
    )

    upload(admin_client, f"members.{fmt}", exported)
    preview = admin_client.get(reverse("member-import"), HTTP_ACCEPT_LANGUAGE="en")
    result = confirm(admin_client)

    assert "unchanged: 3." in preview.content.decode()
    assert "nothing changed" in result.content.decode()
    assert member_rows() == before


def test_a_file_naming_the_status_in_chinese_words_imports(admin_client, staff):
    upload(
        admin_client,
        "members.csv",
        csv_file("姓名,部门,状态,member number", "Wang Fang,Sales,已停用,+8613912345673"),
    )
    preview = admin_client.get(reverse("member-import"), HTTP_ACCEPT_LANGUAGE="en")
    confirm(admin_client)

    page = preview.content.decode()
    assert "Updates Status" in page
    # The preview says the status in words and the number as people write it, not the codes.
    assert "<td>Suspended</td>" in page and ">suspended<" not in page
    assert "139 1234 5673" in page
    assert Member.objects.get(phone_number="+8613912345673").status == "suspended"


def test_an_edited_export_updates_the_members_it_names_each_audited(
    admin_client, admin_user, staff
):
    """One row edited, one added, the rest as exported; a file without the optional columns
    leaves them as they are."""
    upload(
        admin_client,
        "members.csv",
        csv_file(
            "name,phone_number,department,status,minutes_cap,username",
            "Wang Fang,+8613912345673,,suspended,,wang",
            "Li Na,+8613912340000,,suspended,,li",
            "New One,+8613912340011,Sales,,,",
        ),
    )
    preview = admin_client.get(reverse("member-import")).content.decode()
    result = confirm(admin_client)

    assert "Updates Department, Status, Cap" in preview
    assert "1 new member, 1 member updated" in result.content.decode()
    rows = {row[1]: row for row in member_rows()}
    assert rows["+8613912345673"] == (
        "Wang Fang",
        "+8613912345673",
        None,
        "suspended",
        None,
        "wang",
    )
    assert rows["+8613912340011"][0] == "New One"
    wang = AuditLogEntry.objects.filter(action="update").get()
    assert wang.actor == admin_user
    assert set(wang.after) >= {"status", "minutes_cap", "department"}


def test_a_file_without_the_optional_columns_leaves_them_as_they_are(admin_client, staff):
    upload(
        admin_client,
        "m.csv",
        csv_file("name,phone_number,department", "Wang F.,+8613912345673,Sales"),
    )
    confirm(admin_client)

    rows = {row[1]: row for row in member_rows()}
    assert rows["+8613912345673"] == ("Wang F.", "+8613912345673", "Sales", "active", 90, "wang")


def test_a_row_cannot_give_a_member_a_user_linked_to_another(admin_client, staff):
    upload(
        admin_client,
        "m.csv",
        csv_file("name,phone_number,department,username", "Li Na,+8613912340000,,wang"),
    )

    body = admin_client.get(reverse("member-import")).content.decode()

    assert "The user wang already has member number +8613912345673." in body
    assert 'name="action" value="import"' not in body


@pytest.mark.parametrize(
    ("words", "refused"),
    [("已停用", True), ("Suspended", True), ("正常", False), ("Active", False), ("", False)],
)
def test_status_words_that_disagree_with_the_status_code_are_refused(
    admin_client, staff, words, refused
):
    """An export's row with its status words edited and its code left (or the other way round):
    which one was meant is not guessed, the row is refused; words agreeing with the code pass."""
    before = member_rows()
    upload(
        admin_client,
        "members.csv",
        csv_file(
            "姓名,成员号码,部门,状态,状态代码",
            f"Wang Fang,+8613912345673,,{words},active",
        ),
    )
    preview = admin_client.get(reverse("member-import"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    disagree = "and the status code “active” disagree"
    assert (disagree in preview) is refused
    if refused:
        confirm(admin_client)
        assert member_rows() == before
