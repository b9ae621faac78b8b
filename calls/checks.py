"""System checks for the operator's notify endpoint (calls/notify.py).

- `manage.py check --deploy` (deploy-only, tag security) fails with calls.E001 when DEBUG is False
  and OPERATOR_NOTIFY_PASSWORD is empty or still the sandbox default: in production anyone who
  reads the repository could otherwise post call statuses (and so bills). Deploy-only because
  `make run` runs the embedded setup with DEBUG False and the sandbox operator's default password,
  which must keep working. (With an empty password the endpoint itself refuses every
  notification, 401.)
- Always: calls.E002 when an OPERATOR_NOTIFY_ALLOWED_IPS entry is no address or network, which
  would otherwise fail every notification at run time.
"""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, register

# The default in clicktodial_portal/settings.py, for the sandbox that `make run` starts.
SANDBOX_NOTIFY_PASSWORD = "sandbox-notify-secret"  # noqa: S105 -- the known value refused here


@register(Tags.security, deploy=True)
def notify_credentials_check(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG:
        return []
    password = settings.OPERATOR_NOTIFY_PASSWORD
    if password and password != SANDBOX_NOTIFY_PASSWORD:
        return []
    problem = "is empty" if not password else "is still the sandbox default"
    return [
        Error(
            f"OPERATOR_NOTIFY_PASSWORD {problem}.",
            hint="Set OPERATOR_NOTIFY_PASSWORD (and OPERATOR_NOTIFY_USERNAME) to the credentials "
            "agreed with the operator for status notifications.",
            id="calls.E001",
        )
    ]


@register(Tags.security)
def notify_allowed_ips_check(app_configs, **kwargs) -> list[Error]:
    errors = []
    for entry in settings.OPERATOR_NOTIFY_ALLOWED_IPS:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"OPERATOR_NOTIFY_ALLOWED_IPS has {entry!r}, which is no address or network.",
                    hint="Use addresses or CIDR networks, such as 203.0.113.7 or 2001:db8::/32.",
                    id="calls.E002",
                )
            )
    return errors
