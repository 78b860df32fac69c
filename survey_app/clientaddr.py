"""The client's address: from X-Forwarded-For only when the peer is a trusted proxy.

`TrustedProxyFix` applies werkzeug's ProxyFix to a request only when its peer address
(REMOTE_ADDR, the TCP connection's other end) lies in TRUSTED_PROXIES; anyone else who
reaches gunicorn directly keeps their own address, whatever X-Forwarded-* they send.
`client_key()` is the address the per-address rate limits count: an IPv4 address, or the
/64 network of an IPv6 one (one subscriber's line usually holds a whole /64).
"""

import ipaddress
from collections.abc import Iterable

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str | Iterable[str] | None) -> list[Network]:
    """ "127.0.0.1, ::1, 10.0.0.0/8" -> networks; a bad entry is a configuration error."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    networks = []
    for item in (i.strip() for i in items):
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError as exc:
                raise RuntimeError(f"TRUSTED_PROXIES: {item!r} is not an address") from exc
    return networks


def _address(text: str | None):
    try:
        address = ipaddress.ip_address((text or "").strip().split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def in_networks(text: str | None, networks: list[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in n for n in networks)


class TrustedProxyFix:
    """ProxyFix(x_for=hops, x_proto=hops) for requests whose peer is a trusted proxy."""

    def __init__(self, app, hops: int, trusted: list[Network]):
        self.app = app
        self.trusted = trusted
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops, x_host=0, x_prefix=0)

    def __call__(self, environ, start_response):
        if self.trusted and in_networks(environ.get("REMOTE_ADDR"), self.trusted):
            return self.fixed(environ, start_response)
        return self.app(environ, start_response)


def address_key(text: str | None) -> str:
    """An IPv4 address as is; an IPv6 address as its /64 ("2001:db8:1:2::/64")."""
    address = _address(text)
    if address is None:
        return text or "-"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_key() -> str:
    """Flask-Limiter's key for per-address limits."""
    return address_key(request.remote_addr)
