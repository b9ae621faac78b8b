from django.urls import path

from accounts.views import language_set

urlpatterns = [
    path("accounts/language/", language_set, name="language-set"),
]
