from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Preference(models.Model):
    """What a user chose for themselves, kept with the account so it follows them to any device."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    # Whether the minute pool's threshold alerts are mailed to this user, as an admin chose on
    # the Users page; None keeps the default: every admin with an e-mail address gets them.
    pool_alerts = models.BooleanField(_("receives pool alerts"), null=True, blank=True)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language or '-'}"
