"""Where a webhook may go. The portal sits inside the enterprise's network, so an endpoint's URL
must not turn it against that network: by default only https:// URLs whose host resolves to
public addresses only (not loopback, private, link-local, shared or reserved ones). A receiver
inside the network (often plain HTTP) needs WEBHOOK_ALLOW_PRIVATE=true. Checked when an endpoint
is saved and again before every attempt (the name may point elsewhere by then)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class AddressRefused(ValueError):
    """The URL may not be sent to; the message says why, for the admin who gave it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def url_check(url: str) -> None:
    """Raise AddressRefused unless a webhook may be sent to `url`."""
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused(_("Give an https:// URL."))
    if parts.scheme == "http" and not allow_private:
        raise AddressRefused(
            _(
                "Only https:// URLs: the events carry your calls' numbers, which must "
                "not travel in the clear."
            )
        )
    if parts.username or parts.password:
        raise AddressRefused(_("Put no user name or password in the URL: each message is signed."))
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise AddressRefused(
            _("%(host)s cannot be found (DNS).") % {"host": parts.hostname}
        ) from None
    for *_ignored, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not _public(address):
            where = (
                parts.hostname
                if parts.hostname.strip("[]") == str(address)
                else f"{parts.hostname} ({address})"
            )
            raise AddressRefused(
                _(
                    "%(where)s is an address of a private, loopback or link-local network: "
                    "webhooks go only to public addresses unless the portal's "
                    "WEBHOOK_ALLOW_PRIVATE is set."
                )
                % {"where": where}
            )
