"""Member management pages (admins): members, departments, business numbers, import, export,
the audit log."""

from django.urls import path, re_path

from members.views import members

urlpatterns = [
    path("members/", members.member_list, name="member-list"),
    path("members/<int:pk>/edit/", members.member_edit, name="member-edit"),
    path("members/<int:pk>/suspend/", members.member_suspend, name="member-suspend"),
    path("members/<int:pk>/reactivate/", members.member_reactivate, name="member-reactivate"),
    path("members/<int:pk>/remove/", members.member_remove, name="member-remove"),
    path("members/import/", members.member_import, name="member-import"),
    re_path(r"^members/export\.(?P<fmt>csv|xlsx)$", members.member_export, name="member-export"),
    path("members/departments/", members.department_list, name="department-list"),
    path("members/departments/<int:pk>/edit/", members.department_edit, name="department-edit"),
    path("members/business-numbers/", members.business_number_list, name="business-number-list"),
    path(
        "members/business-numbers/<int:pk>/edit/",
        members.business_number_edit,
        name="business-number-edit",
    ),
    path("members/audit/", members.audit_log, name="audit-log"),
]
