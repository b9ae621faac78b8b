"""The accounts app's pages: choosing the language (anyone), and the Users pages (admins): list,
add and invite, edit roles and pool alerts, send a set-password link, unlock, deactivate; and the
page the link opens. Every write goes through accounts.services, which audits it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.views import LoginView, PasswordResetConfirmView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts import services
from accounts.forms import ROLE_CHOICES, UserCreateForm, UserEditForm

from .language import remember


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language: saved with the account, then Django's set_language, which
    sets the language cookie and goes back to the (same-site) `next` page."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest("Unknown language.")
    remember(request, language)
    return set_language(request)


# The Users pages (admins): the portal's logins, their roles, invitations and lock-outs.

PAGE_SIZE = 50


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Admins only: anonymous people are sent to log in, everyone else gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise PermissionDenied(_("Managing users is for administrators."))
        return view(request, *args, **kwargs)

    return wrapped


def _invalid_to_form(form: forms.Form, exc: services.UserInvalid) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _users_listed(q: str) -> QuerySet:
    users = (
        get_user_model()
        .objects.select_related("preference")
        .prefetch_related("groups")
        .order_by("-is_active", "username")
    )
    if q:
        users = users.filter(
            Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(email__icontains=q)
        )
    return users


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    """Everyone who may log in (or once could), with their roles and state; and "Add a user"."""
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                name=data["name"],
                email=data["email"],
                roles_wanted=set(data["roles"]),
                invite=data["invite"],
            )
        except services.UserInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            if data["invite"]:
                text = _("%(username)s was added and invited by e-mail to %(email)s.")
            else:
                text = _("%(username)s was added. Send them a set-password link from their page.")
            messages.success(request, text % {"username": user.username, "email": user.email})
            return redirect("user-list")
    q = request.GET.get("q", "").strip()
    page = Paginator(_users_listed(q), PAGE_SIZE).get_page(request.GET.get("page"))
    locked = services.usernames_locked([user.username for user in page])
    rows = [
        {
            "user": user,
            "roles": [label for role, label in ROLE_CHOICES if role in services.user_roles(user)],
            "locked": user.username in locked,
            "invited": not user.has_usable_password() and user.last_login is None,
            "pool_alerts": services.receives_pool_alerts(user),
        }
        for user in page
    ]
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "rows": rows, "q": q, "form": form},
        status=400 if form.errors else 200,
    )


@admin_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(
        get_user_model().objects.select_related("preference").prefetch_related("groups"), pk=pk
    )
    initial = {
        "name": user.get_full_name(),
        "email": user.email,
        "roles": sorted(services.user_roles(user)),
        "pool_alerts": services.receives_pool_alerts(user),
    }
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                actor=request.user,
                user=user,
                name=data["name"],
                email=data["email"],
                roles_wanted=set(data["roles"]),
                pool_alerts=data["pool_alerts"],
            )
        except services.UserInvalid as exc:
            _invalid_to_form(form, exc)
        else:
            messages.success(request, _("%(username)s was saved.") % {"username": user.username})
            return redirect("user-list")
    return render(
        request,
        "accounts/user_edit.html",
        {
            "person": user,
            "form": form,
            "locked": services.user_is_locked(user.username),
            "invited": not user.has_usable_password() and user.last_login is None,
            "is_self": user.pk == request.user.pk,
        },
        status=400 if form.errors else 200,
    )


def _user_action(request: HttpRequest, pk: int, act: Callable[[Any], str]) -> HttpResponse:
    """Run one of the user page's buttons; its message, or the refusal, shown on the page."""
    user = get_object_or_404(get_user_model(), pk=pk)
    try:
        messages.success(request, act(user))
    except services.UserInvalid as exc:
        messages.error(request, exc.message)
    return redirect("user-edit", pk=user.pk)


@admin_required
@require_POST
def user_password_link(request: HttpRequest, pk: int) -> HttpResponse:
    def send(user: Any) -> str:
        services.password_link_send(actor=request.user, user=user)
        return _("A link to set a password was sent to %(email)s.") % {"email": user.email}

    return _user_action(request, pk, send)


@admin_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    def unlock(user: Any) -> str:
        services.user_unlock(actor=request.user, user=user)
        return _("%(username)s can log in again.") % {"username": user.username}

    return _user_action(request, pk, unlock)


@admin_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def deactivate(user: Any) -> str:
        services.user_active_set(actor=request.user, user=user, active=False)
        return _(
            "%(username)s was deactivated: they can no longer log in or use the API. Their "
            "history is kept."
        ) % {"username": user.username}

    return _user_action(request, pk, deactivate)


@admin_required
@require_POST
def user_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    def reactivate(user: Any) -> str:
        services.user_active_set(actor=request.user, user=user, active=True)
        return _("%(username)s can log in again.") % {"username": user.username}

    return _user_action(request, pk, reactivate)


class PasswordSetView(PasswordResetConfirmView):
    """The page a set-password link opens (Django's reset-confirm: the link's token is checked,
    then moved into the session so that it does not leak through the Referer header)."""

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("login")

    def get_user(self, uidb64: str) -> AbstractBaseUser | None:
        """No one for a deactivated login: a link mailed before it was deactivated is void."""
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: forms.Form) -> HttpResponse:
        response = super().form_valid(form)
        # A new password is a fresh start: the wrong guesses counted before it no longer lock.
        services.login_failures_forget(username=form.user.get_username())
        messages.success(self.request, _("Your password is set. Log in with it."))
        return response


class PortalLoginView(LoginView):
    """Django's login, with the company account's button when single sign-on is configured, and
    why the provider's last login was refused."""

    def get_context_data(self, **kwargs: object) -> dict:
        from accounts.sso import REFUSED, sso_enabled

        context = super().get_context_data(**kwargs)
        refused = self.request.session.pop(REFUSED, None)
        context.update(
            sso=sso_enabled(),
            sso_name=settings.OIDC_PROVIDER_NAME,
            sso_refused={
                "no_role": _(
                    "Your company account has no role in this portal (Admin, Employee or "
                    "Finance). Ask an administrator."
                ),
                "no_email": _("Your company account gave no verified e-mail address."),
                "inactive": _("Your account in this portal is deactivated. Ask an administrator."),
                "superuser": _("Superusers log in with their password, below."),
                "ambiguous": _(
                    "Several accounts in this portal have your e-mail address. Ask an "
                    "administrator to keep one."
                ),
                "unavailable": _(
                    "The company's sign-in service cannot be reached now. Try again shortly."
                ),
            }.get(refused, _("Single sign-on did not log you in. Try again.") if refused else ""),
            passwords_for_everyone=settings.OIDC_PASSWORD_LOGIN or not sso_enabled(),
        )
        return context
