from django.urls import path

from accounts import views
from clicktodial_portal import bounds  # noqa: F401 (registers the <id:…> path converter)

urlpatterns = [
    # Passwords, and the company account's single sign-on when it is configured.
    path("accounts/login/", views.PortalLoginView.as_view(), name="login"),
    path("accounts/language/", views.language_set, name="language-set"),
    # The page a set-password link (invitation or reset) opens: anyone holding the link.
    path(
        "accounts/set-password/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password-set",
    ),
    # Users (admins).
    path("users/", views.user_list, name="user-list"),
    path("users/<id:pk>/", views.user_edit, name="user-edit"),
    path("users/<id:pk>/password-link/", views.user_password_link, name="user-password-link"),
    path("users/<id:pk>/unlock/", views.user_unlock, name="user-unlock"),
    path("users/<id:pk>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("users/<id:pk>/reactivate/", views.user_reactivate, name="user-reactivate"),
]
