"""Django's admin, for superusers only: the technical console behind the portal. Admins who are
not superusers do all their daily work in the portal's own pages (members, users, recording
rules, the pool), which check and audit it; here they get the portal's 403 page."""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class SuperuserAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """One login page for everyone: the portal's (with its lock-out and languages)."""
        # Here, not at the top: this module loads with the app registry, before auth's models.
        from django.contrib.auth.views import redirect_to_login

        if request.user.is_authenticated:
            if self.has_permission(request):
                return super().login(request, extra_context)
            raise PermissionDenied(
                _("Django's admin is for superusers. Everything you manage is in the portal.")
            )
        return redirect_to_login(request.GET.get("next") or request.path, settings.LOGIN_URL)


class PortalAdminConfig(AdminConfig):
    default_site = "clicktodial_portal.admin_site.SuperuserAdminSite"
