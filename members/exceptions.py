"""The members app's refusal, raised by its services and answered by its pages and the API."""


class MemberInvalid(Exception):
    """Input that cannot be saved; `message` says why, `field` where."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    # How the API answers it (the project's exception handler, clicktodial_portal/api_errors.py).
    http_status = 400
