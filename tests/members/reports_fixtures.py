"""People and calls for the finance report tests, written to the ledger as production writes them.

test_reports.py and test_exports.py star-import the fixtures (`__all__`) so pytest finds them by
name, and import the helpers by name.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from calls.models import Call
from members.models import Department, Member
from members.pool.ledger import billed_seconds_for, usage_record

__all__ = ["departments", "finance_user", "report_members", "usage"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def ended_call(
    member: Member, *, seconds: int, at: datetime, callee: str = "+8613800000001"
) -> Call:
    """A call placed at `at` that talked `seconds`, then debited by usage_record."""
    call = Call.objects.create(
        member=member,
        sponsor="+861052680000",
        caller=member.phone_number,
        callee=callee,
        status=Call.Status.ENDED,
        reason="HangUp",
        duration_seconds=seconds,
        ended_at=at + timedelta(seconds=seconds + 20),
    )
    # auto_now_add ignores a value given to create(): set the time the call was placed here.
    Call.objects.filter(pk=call.pk).update(created_at=at)
    call.refresh_from_db()
    with transaction.atomic():
        usage_record(call=call)
    return call


@dataclass(frozen=True)
class Made:
    """A call the test made, with what it should count for."""

    member: Member
    department: Department | None
    day: date
    seconds: int

    @property
    def billed_seconds(self) -> int:
        return billed_seconds_for(self.seconds, rule="per_minute")


@pytest.fixture
def finance_user(django_user_model):
    user = django_user_model.objects.create_user(username="zhou", password="pw-zhou-123")
    group, _ = Group.objects.get_or_create(name="Finance")
    group.permissions.add(Permission.objects.get(codename="view_usage_report"))
    user.groups.add(group)
    return user


@pytest.fixture
def departments() -> dict[str, Department]:
    return {
        "sales": Department.objects.create(name="Sales"),
        "support": Department.objects.create(name="Support"),
    }


@pytest.fixture
def report_members(departments, employee) -> dict[str, Member]:
    return {
        "wang": Member.objects.create(
            name="Wang Fang",
            phone_number="+8613912345673",
            department=departments["sales"],
            user=employee,
        ),
        "li": Member.objects.create(
            name="Li Na", phone_number="+8613912340000", department=departments["support"]
        ),
        "chen": Member.objects.create(name="Chen Jie", phone_number="+8613712348653"),
    }


# (member, local time placed, seconds talked). Per-minute billing: 61 s bills 120 s.
CALL_PLAN = [
    ("wang", local(2025, 3, 31, 23, 50), 30),  # the day before the range
    ("wang", local(2025, 4, 1, 0, 5), 61),  # the range's first day, just after midnight
    ("wang", local(2025, 4, 1, 14, 0), 125),
    ("li", local(2025, 4, 1, 15, 0), 0),  # never connected: counts as a call, bills 0
    ("li", local(2025, 4, 17, 9, 30), 600),
    ("chen", local(2025, 4, 17, 11, 0), 59),
    ("wang", local(2025, 4, 30, 23, 59), 1),  # the range's last day, just before midnight
    ("chen", local(2025, 5, 1, 0, 0), 45),  # the day after the range
    ("li", local(2025, 5, 20, 8, 0), 3600),
    ("chen", local(2025, 6, 2, 12, 0), 90),
]


@pytest.fixture
def usage(report_members) -> list[Made]:
    """Calls from March to June 2025, debited to the ledger; returns what each should count."""
    made = []
    for key, at, seconds in CALL_PLAN:
        member = report_members[key]
        callee = f"+86138{len(made):08d}"
        ended_call(member, seconds=seconds, at=at, callee=callee)
        made.append(Made(member, member.department, at.date(), seconds))
    return made


def made_between(made: list[Made], first: date, last: date) -> list[Made]:
    return [call for call in made if first <= call.day <= last]


def minutes_text(billed_seconds: int) -> str:
    """As the pages write billed minutes: 2 → "2", 1.5 → "1.5"."""
    text = f"{billed_seconds / 60:.2f}"
    return text.rstrip("0").rstrip(".")
