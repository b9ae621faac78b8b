"""Where a webhook may go. The portal sits inside the enterprise's network, so an endpoint's URL
must not turn it against that network: by default only https:// URLs whose host resolves to
public addresses only (not loopback, private, link-local, shared or reserved ones). A receiver
inside the network (often plain HTTP) needs WEBHOOK_ALLOW_PRIVATE=true. Checked when an endpoint
is saved and again before every attempt, which then connects to the very address checked (a name
asked twice could answer a public address, then an internal one: DNS rebinding)."""

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


# IPv6 ranges Python's is_global counts as public that lead to an IPv4 network or a site's own:
# NAT64 (which reaches any IPv4 address, private ones too), 6to4, and the old site-local range.
_NOT_PUBLIC_V6 = [ipaddress.ip_network(n) for n in ("64:ff9b::/96", "2002::/16", "fec0::/10")]


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.version == 6 and any(address in network for network in _NOT_PUBLIC_V6):
        return False
    return address.is_global and not address.is_multicast


def url_check(url: str) -> str | None:
    """Raise AddressRefused unless a webhook may be sent to `url`; else the address to connect to
    (the first the name resolved to, every one of them checked), or None when any address is
    allowed (WEBHOOK_ALLOW_PRIVATE) and the name is left to be resolved as usual."""
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
        return None
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
    return found[0][4][0]
