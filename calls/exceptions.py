"""What the calls services refuse, with a message for the person refused.

`http_status` is how the API answers each (the project's exception handler,
clicktodial_portal/api_errors.py, reads it); the pages show `message`, next to `field` if named."""

from __future__ import annotations

from django.utils.translation import gettext as _


class CallNotAllowed(Exception):
    """A call cannot be placed or changed; `message` tells the user why and what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    http_status = 400


class CallNotEndable(CallNotAllowed):
    """The call cannot be hung up from here (over, or its identifier unknown or moved on)."""

    http_status = 409


class CallNotQueued(CallNotAllowed):
    """The call was saved but the task broker could not take it: it failed, nothing was dialled."""

    http_status = 503


class CallRateLimited(CallNotAllowed):
    """Too many calls placed in a short time; another may be placed after `retry_after` s."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    http_status = 429


class ContactForbidden(Exception):
    """The user may see the contact but not change it: shared contacts are for admins to edit."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = _("Only an administrator can change shared contacts.")
        super().__init__(message)
        self.message = message

    http_status = 403
