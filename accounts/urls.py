from django.urls import path

from accounts import views

urlpatterns = [
    path("accounts/language/", views.language_set, name="language-set"),
    # The page a set-password link (invitation or reset) opens: anyone holding the link.
    path(
        "accounts/set-password/<uidb64>/<token>/",
        views.PasswordSetView.as_view(),
        name="password-set",
    ),
    # Users (admins).
    path("users/", views.user_list, name="user-list"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("users/<int:pk>/password-link/", views.user_password_link, name="user-password-link"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user-unlock"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user-deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user-reactivate"),
]
