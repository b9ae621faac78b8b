"""Create the demo data `make run` shows: an admin, finance, an employee with a member number,
departments, business numbers, this month's minute pool and contacts.

Idempotent: running it again resets the demo passwords and adds whatever is missing.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from calls.models import Contact
from members import roles
from members.models import BusinessNumber, Department, Member, minutes_display
from members.pool.services import pool_current

ADMIN = ("admin", "admin-demo")
FINANCE = ("finance", "finance-demo")
EMPLOYEE = ("employee", "employee-demo")
EMPLOYEE_NUMBER = "+8613912345673"

# The sandbox operator picks a scenario by the callee's number (sandbox/README.md).
DEMO_CONTACTS = [
    ("Li Wei", "Answers, talks 20 s", "+8613800000001"),
    ("Zhang Min", "Always busy", "+8613800000002"),
    ("Chen Jie", "Never answers", "+8613800000003"),
    ("Liu Yang", "Talks until you hang up", "+8613800000006"),
    ("Zhao Lei", "Blacklisted: the operator refuses", "+8613800000008"),
    # How a real operator may answer (sandbox/README.md): the portal must not ring twice.
    ("Wu Hao", "The operator times out (1000001), yet the call goes through", "+8613800000017"),
    ("Sun Li", "Ends for a reason outside the seed's list", "+8613800000021"),
]


class Command(BaseCommand):
    help = "Create the demo admin, employee, member number and contacts."

    def handle(self, *args: object, **options: object) -> None:
        users = get_user_model()
        admin, _ = users.objects.get_or_create(
            username=ADMIN[0],
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"},
        )
        admin.set_password(ADMIN[1])
        admin.save()

        finance, _ = users.objects.get_or_create(
            username=FINANCE[0], defaults={"first_name": "Zhou", "last_name": "Jing"}
        )
        finance.set_password(FINANCE[1])
        finance.save()
        finance.groups.add(Group.objects.get(name=roles.FINANCE))

        if not BusinessNumber.objects.exists():
            BusinessNumber.objects.create(
                phone_number="01052680000", label="Head office", is_default=True
            )
            BusinessNumber.objects.create(phone_number="02161230000", label="Sales hotline")
        sales, _ = Department.objects.get_or_create(
            name="Sales",
            defaults={"business_number": BusinessNumber.objects.get(phone_number="02161230000")},
        )
        Department.objects.get_or_create(name="Support")
        pool = pool_current()

        employee, _ = users.objects.get_or_create(
            username=EMPLOYEE[0], defaults={"first_name": "Wang", "last_name": "Fang"}
        )
        employee.set_password(EMPLOYEE[1])
        employee.save()
        employee.groups.add(Group.objects.get(name=roles.EMPLOYEE))
        Member.objects.get_or_create(
            phone_number=EMPLOYEE_NUMBER,
            defaults={"name": "Wang Fang", "user": employee, "department": sales},
        )
        for name, company, number in DEMO_CONTACTS:
            Contact.objects.get_or_create(
                owner=employee, phone_number=number, defaults={"name": name, "company": company}
            )
        # A company contact every employee sees (no owner: shared, admin-managed).
        Contact.objects.get_or_create(
            owner=None,
            phone_number="+861052680099",
            defaults={"name": "Reception", "company": "Head office (shared)"},
        )
        token, _ = Token.objects.get_or_create(user=employee)

        url = settings.PORTAL_BASE_URL
        self.stdout.write(
            self.style.SUCCESS(f"\nClick to Dial portal: {url}/\n")
            + f"  employee login: {EMPLOYEE[0]} / {EMPLOYEE[1]} (member number {EMPLOYEE_NUMBER})\n"
            f"  admin login:    {ADMIN[0]} / {ADMIN[1]}\n"
            f"  finance login:  {FINANCE[0]} / {FINANCE[1]}\n"
            f"  minute pool for {pool.period_start:%B %Y}: "
            f"{minutes_display(pool.minutes_used)} of {pool.minutes_allotted} minutes used\n"
            f"  API token of the employee: {token.key}\n"
            f"  API docs: {url}/api/docs/\n"
            f"  try: curl -H 'Authorization: Token {token.key}' -H 'Content-Type: application/json'"
            f' -d \'{{"callee": "+8613800000001"}}\' {url}/api/v1/calls/\n'
        )
