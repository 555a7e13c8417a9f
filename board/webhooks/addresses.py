"""Where a webhook may be sent: https (http when allowed) to a host on the public internet only.

A URL is checked when an endpoint is made or changed, and again at every delivery, against every
address its host resolves to then; the delivery connects to the address it checked, so a name
that resolves elsewhere a moment later (DNS rebinding) cannot reach the shop's own network.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from board.errors import BadWebhookUrl

URL_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (an address that was checked) and what to ask for there."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it: NAT64's well-known
# prefix (RFC 6052) and the deprecated IPv4-compatible addresses (::a.b.c.d). Python counts both
# as global whatever IPv4 address they carry, so 64:ff9b::a00:1 (10.0.0.1) would pass.
_CARRYING_IPV4 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _CARRYING_IPV4) and int(address) & 0xFFFFFFFF > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local, shared (CGNAT), reserved, multicast or unspecified: not the internet's."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = embedded_ipv4(address)
        if carried is not None and internal(carried):
            return True
        # Site-local (fec0::/10) is deprecated, yet networks still route it; Python counts it global.
        if address.is_site_local:
            return True
    return not address.is_global or address.is_multicast


def parse(url: str, *, allow_http: bool) -> tuple[str, str, int, str]:
    """The URL's scheme, host, port and path with query; BadWebhookUrl when it is not one we send to."""
    if not isinstance(url, str) or not 0 < len(url) <= URL_MAX_LENGTH:
        raise BadWebhookUrl(f"A webhook URL is 1 to {URL_MAX_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BadWebhookUrl("This is not a URL.") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise BadWebhookUrl("A webhook URL must start with https://." if not allow_http else "Use http or https.")
    if not parts.hostname:
        raise BadWebhookUrl("A webhook URL must name a host.")
    if parts.username or parts.password:
        raise BadWebhookUrl("A webhook URL may not carry a user name or password.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(url: str, *, allow_http: bool, allow_private: bool) -> Target:
    """Check `url` and resolve its host now; BadWebhookUrl if any address it resolves to is internal."""
    scheme, host, port, path = parse(url, allow_http=allow_http)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise BadWebhookUrl(f"The host {host} cannot be found.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not allow_private and any(internal(address) for address in addresses):
        raise BadWebhookUrl(f"The host {host} is on an internal network: webhooks go to public addresses only.")
    return Target(scheme, host, port, str(addresses[0]), path)
