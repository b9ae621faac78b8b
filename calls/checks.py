"""System checks for the operator's notify endpoint (calls/notify.py).

- `manage.py check --deploy` (deploy-only, tag security) fails with calls.E001 when DEBUG is False
  and OPERATOR_NOTIFY_PASSWORD is empty or still the sandbox default: in production anyone who
  reads the repository could otherwise post call statuses (and so bills). Deploy-only because
  `make run` runs the embedded setup with DEBUG False and the sandbox operator's default password,
  which must keep working. (With an empty password the endpoint itself refuses every
  notification, 401.)
- Always: calls.E002 when an OPERATOR_NOTIFY_ALLOWED_IPS entry is no address or network, which
  would otherwise fail every notification at run time.
- Always: calls.E003 when OPERATOR_NOTIFY_AUTH is neither "basic" nor "none", or is "none" with
  no OPERATOR_NOTIFY_ALLOWED_IPS: anyone could then post call statuses. The web process runs the
  checks as it starts (clicktodial_portal/wsgi.py), so such a portal does not start.
- Always: calls.E005 when OPERATOR_SPONSOR is not a phone number written as the operator
  registers them (digits, a leading + at most): it is sent exactly as written.
- `check --deploy`: calls.E004 for a placeholder left in a secret (``change-me``, as the
  deployment guide's example file has it) — the operator notify password, the operator client
  secret, METRICS_TOKEN.
"""

import ipaddress
import re

from django.conf import settings
from django.core.checks import Error, Tags, register

# The default in clicktodial_portal/settings.py, for the sandbox that `make run` starts.
SANDBOX_NOTIFY_PASSWORD = "sandbox-notify-secret"  # noqa: S105 -- the known value refused here
NOTIFY_AUTH_BASIC = "basic"
NOTIFY_AUTH_NONE = "none"
# What example files and guides put where a secret goes; a deployment must replace it.
_PLACEHOLDER = re.compile(r"change[-_ ]?me|changeme|placeholder|your[-_ ]secret", re.IGNORECASE)
_SECRETS = ("OPERATOR_NOTIFY_PASSWORD", "OPERATOR_CLIENT_SECRET", "METRICS_TOKEN")


@register(Tags.security, deploy=True)
def notify_credentials_check(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG or settings.OPERATOR_NOTIFY_AUTH == NOTIFY_AUTH_NONE:
        return []  # with "none", no password is read: the allow-list decides (calls.E003)
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


@register(Tags.security)
def notify_auth_check(app_configs, **kwargs) -> list[Error]:
    mode = settings.OPERATOR_NOTIFY_AUTH
    if mode not in (NOTIFY_AUTH_BASIC, NOTIFY_AUTH_NONE):
        return [
            Error(
                f"OPERATOR_NOTIFY_AUTH is {mode!r}.",
                hint='Use "basic" (the operator sends HTTP Basic credentials) or "none" (it '
                "sends none; then set OPERATOR_NOTIFY_ALLOWED_IPS to its addresses).",
                id="calls.E003",
            )
        ]
    if mode == NOTIFY_AUTH_NONE and not settings.OPERATOR_NOTIFY_ALLOWED_IPS:
        return [
            Error(
                "OPERATOR_NOTIFY_AUTH is none but OPERATOR_NOTIFY_ALLOWED_IPS is empty: anyone "
                "could post call statuses, and so bills.",
                hint="Set OPERATOR_NOTIFY_ALLOWED_IPS to the addresses the operator sends "
                "notifications from, or use OPERATOR_NOTIFY_AUTH=basic.",
                id="calls.E003",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def placeholder_secrets_check(app_configs, **kwargs) -> list[Error]:
    return [
        Error(
            f"{name} is still a placeholder.",
            hint=f"Set {name} to the real secret (see the deployment guide's environment file).",
            id="calls.E004",
        )
        for name in _SECRETS
        if _PLACEHOLDER.search(str(getattr(settings, name, "") or ""))
    ]


@register()
def sponsor_check(app_configs, **kwargs) -> list[Error]:
    from members.exceptions import MemberInvalid
    from members.services import business_number_validate

    try:
        business_number_validate(settings.OPERATOR_SPONSOR)
    except MemberInvalid as exc:
        return [
            Error(
                f"OPERATOR_SPONSOR is {settings.OPERATOR_SPONSOR!r}: {exc.message}",
                hint="Write the business number exactly as the operator registered it.",
                id="calls.E005",
            )
        ]
    return []
