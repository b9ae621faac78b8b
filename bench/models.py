from django.db import models


class ReferenceNotification(models.Model):
    """The one row the reference endpoint inserts per request (bench/reference.py)."""

    callidentifier = models.CharField(max_length=64)
    caller = models.CharField(max_length=20)
    callee = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    call_duration = models.PositiveIntegerField(null=True)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.callidentifier} {self.status}"
