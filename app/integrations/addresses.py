"""Which addresses a channel may send to. A webhook address is chosen by an admin, but the request
leaves from inside the company network: an address that resolves to a private, loopback or
link-local range would let the portal be used against the intranet itself (server-side request
forgery). Those are refused unless PORTAL_ALLOW_PRIVATE_WEBHOOKS=true, both when a channel is
saved and again before every delivery (a name may resolve elsewhere later)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from app.core.config import get_settings

MAX_URL = 2000


class AddressRefused(ValueError):
    """An address the portal will not send to; the message says why, for the admin."""


def check(url: str) -> str:
    """The address, when the portal may send to it; otherwise AddressRefused."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise AddressRefused(f"Enter the receiver's address (at most {MAX_URL} characters).")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AddressRefused("Use an http:// or https:// address with a host name.")
    if parts.username or parts.password:
        raise AddressRefused("Leave user names and passwords out of the address.")
    if get_settings().allow_private_webhooks:
        return url
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"The host {parts.hostname} cannot be found.") from None
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if not address.is_global:
            raise AddressRefused(
                f"{parts.hostname} is a private or local address ({address}); the portal sends only to "
                "public addresses unless PORTAL_ALLOW_PRIVATE_WEBHOOKS=true."
            )
    return url


def shown(url: str) -> str:
    """What the admin page shows of an address: scheme, host and the first part of the path (the
    rest of a Slack or Teams address is its token)."""
    parts = urlsplit(url)
    first = parts.path.strip("/").split("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}/{first}{'/…' if parts.path.strip('/') != first else ''}"[:200]
