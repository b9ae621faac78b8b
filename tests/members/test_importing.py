"""Reading member files, checking their rows, and writing them all or none (members_import)."""

import io

import openpyxl
import pytest

from audit.models import AuditLogEntry
from clicktodial_portal.tables import TableInvalid
from members.exceptions import MemberInvalid
from members.import_writing import members_import
from members.importing import (
    MEMBER_TABLE,
    ExistingMember,
    ImportLookups,
    ImportRow,
    import_lookups_load,
    parse_member_file,
    validate_rows,
)
from members.models import Department, Member

HEADER = ["name", "phone_number", "department"]


def csv_file(*lines: str, bom: bool = False) -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def xlsx_file(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def checked(rows: list[ImportRow], **lookups) -> list[ImportRow]:
    return validate_rows(rows, lookups=ImportLookups(**lookups))


# Parsing


@pytest.mark.parametrize("bom", [False, True])
def test_it_reads_a_utf8_csv_with_or_without_bom(bom):
    data = csv_file("name,phone_number,department", "王芳,+8613912345673,Sales", bom=bom)

    (row,) = parse_member_file("members.csv", data)

    assert (row.line, row.name, row.phone_number, row.department) == (
        2,
        "王芳",
        "+8613912345673",
        "Sales",
    )
    assert (row.status, row.minutes_cap, row.username) == ("", "", "")


def test_it_reads_the_optional_columns_in_any_order_and_any_case():
    data = csv_file(
        "Username, Minutes_Cap ,Status,Name,Phone_Number,Department",
        "wang,60,Suspended,Wang Fang,139 1234 5673,",
    )

    (row,) = parse_member_file("m.csv", data)

    assert (row.username, row.minutes_cap, row.status, row.name, row.phone_number) == (
        "wang",
        "60",
        "Suspended",
        "Wang Fang",
        "139 1234 5673",
    )


def test_it_reads_semicolon_separated_csv_as_excel_writes_it_in_some_locales():
    data = csv_file("name;phone_number;department", "Li Na;+8613912340000;Support")

    (row,) = parse_member_file("m.csv", data)

    assert (row.name, row.department) == ("Li Na", "Support")


def test_it_skips_blank_lines_and_keeps_file_line_numbers():
    data = csv_file(",".join(HEADER), "A,+8613912340001,", ",,", "B,+8613912340002,")

    rows = parse_member_file("m.csv", data)

    assert [(r.line, r.name) for r in rows] == [(2, "A"), (4, "B")]


def test_it_reads_the_first_sheet_of_an_xlsx_with_numbers_typed_as_numbers():
    data = xlsx_file(
        [
            [*HEADER, "minutes_cap"],
            ["Wang Fang", 8613912345673, "Sales", 60],
            ["Li Na", "+8613912340000", None, None],
        ]
    )

    rows = parse_member_file("members.xlsx", data)

    assert [(r.line, r.name, r.phone_number, r.department, r.minutes_cap) for r in rows] == [
        (2, "Wang Fang", "8613912345673", "Sales", "60"),
        (3, "Li Na", "+8613912340000", "", ""),
    ]


def test_it_undoes_the_quote_an_export_puts_before_a_formula_like_cell():
    (row,) = parse_member_file("m.csv", csv_file(",".join(HEADER), "'=Boss,+8613912340001,'-R&D"))

    assert (row.name, row.department) == ("=Boss", "-R&D")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("m.csv", b"name,phone\r\nA,1\r\n", "missing phone_number, department"),
        ("m.csv", csv_file("name,phone_number,department,email", "A,1,"), "unknown 'email'"),
        ("m.csv", csv_file("name,name,phone_number,department"), "a column named twice"),
        ("m.csv", b"", "The file is empty"),
        ("m.csv", csv_file(",".join(HEADER)), "no members under it"),
        ("m.csv", "name,phone_number,department\r\n王,1,".encode("gb18030"), "not UTF-8"),
        ("m.xlsx", b"PK\x03\x04 not really a zip", "not a readable .xlsx"),
        ("m.xls", b"\xd0\xcf\x11\xe0", "Old Excel files"),
        ("m.pdf", b"%PDF-1.7", "Upload a .csv or .xlsx file"),
    ],
)
def test_it_refuses_an_unreadable_file_with_a_message_that_says_what_to_do(name, data, message):
    with pytest.raises(TableInvalid) as caught:
        parse_member_file(name, data)

    assert message in caught.value.message


def test_it_refuses_more_rows_than_the_cap():
    lines = [f"M{i},+86139{i:08d}," for i in range(MEMBER_TABLE.max_rows + 1)]

    with pytest.raises(TableInvalid) as caught:
        parse_member_file("big.csv", csv_file(",".join(HEADER), *lines))

    assert f"more than {MEMBER_TABLE.max_rows:,} members" in caught.value.message


def test_it_refuses_a_file_over_the_size_limit():
    with pytest.raises(TableInvalid) as caught:
        parse_member_file("big.csv", b"x" * (MEMBER_TABLE.max_bytes + 1))

    assert "the limit is 5 MB" in caught.value.message


# Validation (pure: the database is described by ImportLookups)


def test_a_clean_row_is_normalised_and_has_no_errors():
    (row,) = checked(
        [ImportRow(2, "Wang Fang", "139 1234 5673", "sales", "SUSPENDED", "060", "wang")],
        departments=frozenset({"Sales"}),
        users={"wang": ""},
    )

    assert row.errors == {}
    assert (row.phone_number, row.department, row.status, row.minutes_cap, row.username) == (
        "+8613912345673",
        "Sales",
        "suspended",
        "60",
        "wang",
    )


def test_each_bad_row_gets_its_own_error_in_its_column():
    rows = checked(
        [
            ImportRow(2, "", "+8613912340001"),
            ImportRow(3, "Bad number", "12345"),
            ImportRow(4, "Taken", "+8613912345673"),  # a member's: updates it
            ImportRow(5, "First", "+8613912340002"),
            ImportRow(6, "Twice", "8613912340002"),
            ImportRow(7, "Unknown dept", "+8613912340003", department="Marketing"),
            ImportRow(8, "Bad status", "+8613912340004", status="fired"),
            ImportRow(9, "Bad cap", "+8613912340005", minutes_cap="-5"),
            ImportRow(10, "Unknown user", "+8613912340006", username="ghost"),
            ImportRow(11, "Linked user", "+8613912340007", username="wang"),
            ImportRow(12, "Free user", "+8613912340008", username="li"),
            ImportRow(13, "Same user", "+8613912340009", username="li"),
            ImportRow(14, "", ""),
        ],
        departments=frozenset({"Sales"}),
        members={"+8613912345673": ExistingMember(id=7, name="Wang Fang", username="wang")},
        users={"wang": "+8613912345673", "li": ""},
    )

    errors = {row.line: row.errors for row in rows}
    assert errors[2] == {"name": "The name is missing."}
    assert "'12345' is not a phone number" in errors[3]["phone_number"]
    assert errors[4] == {}
    taken = next(row for row in rows if row.line == 4)
    # Its empty username leaves the member's as it is; the name changes.
    assert (taken.member_id, taken.changes, taken.username) == (7, ["name"], "wang")
    assert errors[5] == {}
    assert errors[6] == {"phone_number": "+8613912340002 is also on row 5."}
    assert "no department called “Marketing”" in errors[7]["department"]
    assert "“fired” is not one of active, suspended, removed" in errors[8]["status"]
    assert "“-5” is not a whole number" in errors[9]["minutes_cap"]
    assert errors[10] == {"username": "There is no portal user “ghost”."}
    assert errors[11] == {"username": "The user wang already has member number +8613912345673."}
    assert errors[12] == {}
    assert errors[13] == {"username": "The user li is also on row 12."}
    assert errors[14] == {"name": "The name is missing.", "phone_number": "The number is missing."}


@pytest.mark.django_db
def test_lookups_name_the_members_linked_users_and_departments(member, teammate):
    Department.objects.create(name="Sales")
    rows = [
        ImportRow(2, "x", "139 1234 5673", username="wang"),
        ImportRow(3, "y", "not a number", username="li"),
        ImportRow(4, "z", "+8613912340099", username="ghost"),
    ]

    lookups = import_lookups_load(rows)

    assert lookups.members == {
        "+8613912345673": ExistingMember(id=member.pk, name="Wang Fang", username="wang")
    }
    assert lookups.users == {"wang": "+8613912345673", "li": ""}
    assert lookups.departments == frozenset({"Sales"})


# Writing: all rows, or none


@pytest.mark.django_db
def test_members_import_writes_every_row_audited_as_import(admin_user, employee):
    sales = Department.objects.create(name="Sales")
    rows = [
        ImportRow(2, "Wang Fang", "+8613912345673", "Sales", "active", "60", "wang"),
        ImportRow(3, "Li Na", "+8613912340000", "", "suspended", "", ""),
    ]

    result = members_import(actor=admin_user, rows=rows)

    assert (result.created, result.updated) == (2, 0)
    members = list(Member.objects.order_by("-phone_number"))
    assert [(m.name, m.department, m.user, m.status, m.minutes_cap) for m in members] == [
        ("Wang Fang", sales, employee, "active", 60),
        ("Li Na", None, None, "suspended", None),
    ]
    entries = AuditLogEntry.objects.filter(action="import").order_by("id")
    assert [(e.actor, e.object_id, e.before) for e in entries] == [
        (admin_user, str(members[0].pk), None),
        (admin_user, str(members[1].pk), None),
    ]
    assert (entries[0].after["department"], entries[0].after["user"]) == ("Sales", "wang")


@pytest.mark.django_db
def test_members_import_rolls_back_every_row_when_a_number_was_taken_after_the_check(
    admin_user,
):
    # The preview's check passed; then someone added +8613912340003 before the confirm.
    Member.objects.create(name="Early bird", phone_number="+8613912340003")
    rows = [ImportRow(n, f"M{n}", f"+861391234000{n}") for n in (1, 2, 3, 4)]

    with pytest.raises(MemberInvalid) as caught:
        members_import(actor=admin_user, rows=rows)

    assert caught.value.message == (
        "Row 3: +8613912340003 is already a member number. Nothing was imported."
    )
    assert list(Member.objects.values_list("name", flat=True)) == ["Early bird"]
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (ImportRow(3, "Dup", "+8613912340001"), "Row 3: +8613912340001 is already a member"),
        (ImportRow(3, "X", "+8613912340009", department="Gone"), "Row 3: There is no department"),
        (ImportRow(3, "X", "+8613912340009", username="ghost"), "Row 3: There is no portal user"),
        (ImportRow(3, "X", "+8613912340009", status="fired"), "Row 3: The status fired"),
        (ImportRow(3, "X", "+8613912340009", minutes_cap="lots"), "Row 3: The minutes cap"),
        (ImportRow(3, "  ", "+8613912340009"), "Row 3: The name is missing."),
        (ImportRow(3, "X", "0", errors={"phone_number": "Bad."}), "Row 3: Bad."),
    ],
)
def test_members_import_writes_nothing_when_any_row_is_bad_even_unvalidated(
    admin_user, bad_row, message
):
    rows = [ImportRow(2, "Good", "+8613912340001"), bad_row]

    with pytest.raises(MemberInvalid) as caught:
        members_import(actor=admin_user, rows=rows)

    assert caught.value.message.startswith(message)
    assert not Member.objects.exists()
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_members_import_refuses_a_user_who_already_has_a_member_number(admin_user, member):
    with pytest.raises(MemberInvalid) as caught:
        members_import(
            actor=admin_user, rows=[ImportRow(2, "X", "+8613912340009", username="wang")]
        )

    assert caught.value.message.startswith("Row 2: The user wang already has a member number.")
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_members_import_refuses_one_user_for_two_new_members_when_the_check_was_skipped(
    admin_user, employee
):
    rows = [
        ImportRow(2, "A", "+8613912340001", username="wang"),
        ImportRow(3, "B", "+8613912340002", username="wang"),
    ]

    with pytest.raises(MemberInvalid, match="Row 3: The user wang already has a member number"):
        members_import(actor=admin_user, rows=rows)

    assert not Member.objects.exists()
