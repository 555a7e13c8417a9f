"""The client's address: the connection's, or behind a trusted proxy the one it forwarded.

A request from an address in BOARD_TRUSTED_PROXIES has its X-Forwarded-For read from the right:
the right-most address that is not itself a trusted proxy is the client. Everything left of it
was written by the client and may be forged, so it is never read; a request from any other
address has its X-Forwarded-For ignored. (Werkzeug's ProxyFix counts hops instead, which trusts
a forged header when a request skips a proxy.)
"""

import ipaddress

from flask import current_app, request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def parse_address(text: str | None) -> IPAddress | None:
    """An address as ipaddress reads it (an IPv4 address mapped into IPv6 as itself), or None."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: IPAddress, trusted: tuple) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def forwarded_client(peer: IPAddress, forwarded_for: list[str], trusted: tuple) -> IPAddress:
    """The right-most address of the chain peer <- X-Forwarded-For that is not a trusted proxy."""
    client = peer
    for entry in reversed(forwarded_for):
        if not is_trusted(client, trusted):
            break
        hop = parse_address(entry)
        if hop is None:
            # Not an address: written by someone the trusted proxy does not vouch for. The last
            # trusted hop is the nearest address known.
            break
        client = hop
    return client


def client_address() -> str:
    """The address sign-ins are counted by for this request, as text ("unknown" without one)."""
    peer = parse_address(request.remote_addr)
    if peer is None:
        return UNKNOWN
    trusted = current_app.config["BOARD_TRUSTED_PROXY_NETWORKS"]
    if not trusted:
        return str(peer)
    forwarded_for = [entry for header in request.headers.getlist("X-Forwarded-For") for entry in header.split(",")]
    return str(forwarded_client(peer, forwarded_for, trusted))
