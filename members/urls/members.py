"""Member management pages (admins): members, departments, business numbers, import, export.
The audit log's page, at /members/audit/, is the audit app's."""

from django.urls import path, re_path

from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)
from members.views import departments, member_files, members

urlpatterns = [
    path("members/", members.member_list, name="member-list"),
    path("members/<id:pk>/edit/", members.member_edit, name="member-edit"),
    path("members/<id:pk>/suspend/", members.member_suspend, name="member-suspend"),
    path("members/<id:pk>/reactivate/", members.member_reactivate, name="member-reactivate"),
    path("members/<id:pk>/remove/", members.member_remove, name="member-remove"),
    path("members/import/", member_files.member_import, name="member-import"),
    re_path(
        r"^members/export\.(?P<fmt>csv|xlsx)$", member_files.member_export, name="member-export"
    ),
    path("members/departments/", departments.department_list, name="department-list"),
    path("members/departments/<id:pk>/edit/", departments.department_edit, name="department-edit"),
    path(
        "members/business-numbers/", departments.business_number_list, name="business-number-list"
    ),
    path(
        "members/business-numbers/<id:pk>/edit/",
        departments.business_number_edit,
        name="business-number-edit",
    ),
]
