"""The client's IP address: the TCP peer, or, when the peer is a trusted proxy (TRUSTED_PROXIES),
the nearest address in X-Forwarded-For that is not a trusted proxy (uvicorn's rule too)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import Scope

Networks = Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]


def _trusted(address: str, trusted: Networks) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(scope: Scope, trusted: Networks) -> str:
    """Who sent the request, believing X-Forwarded-For only from a trusted proxy."""
    peer = scope["client"][0] if scope.get("client") else "-"
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer
