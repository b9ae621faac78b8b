"""Where recording files live: the storage named "recordings" in settings.STORAGES.

Local files under the media folder by default; S3-compatible object storage when the environment
names a bucket (see settings). The FileField resolves the storage on each use rather than once at
import, so a settings change (a test's, say) takes effect.
"""

from __future__ import annotations

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

STORAGE_ALIAS = "recordings"


class _RecordingsStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = storages[STORAGE_ALIAS]


recordings_storage = _RecordingsStorage()


def get_recordings_storage() -> Storage:
    """The FileField's storage (a callable, so migrations do not depend on the settings)."""
    return recordings_storage  # type: ignore[return-value]


@receiver(setting_changed)
def _forget_storage(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        recordings_storage._wrapped = empty


def recording_upload_to(instance: object, filename: str) -> str:
    """In the storage, 2026/11/call-12-20261126211500.wav: by month, so no folder grows
    without end."""
    recorded_at = getattr(instance, "recorded_at", None)
    return f"{recorded_at:%Y/%m}/{filename}" if recorded_at else filename
