"""The reverse proxies a portal trusts (`gkh server run --trusted-proxy`, GKH_TRUSTED_PROXIES): behind one, the
caller's address is the one the proxy says in X-Forwarded-For (what the limit on failed sign-ins per address
counts), and the scheme and host people reached the portal at are X-Forwarded-Proto and -Host (what a card page's
link is built on). From anyone else those headers are not believed: a caller could say any address."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from gkh.domain.errors import InvalidInput
from gkh.i18n import _

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ADDRESS = 64  # an X-Forwarded-For entry kept as the caller's address, at most this long


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The caller's address: the peer's own, unless the peer is a trusted proxy; then, of X-Forwarded-For read
        from the right (each proxy appends the address it was reached from), the first address not itself a
        trusted proxy — the leftmost if all are."""
        if not self.trusts(peer) or not forwarded_for:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop[:MAX_ADDRESS]
        return hops[0][:MAX_ADDRESS] if hops else peer


def parse_trusted_proxies(spec: str | None, field: str = "--trusted-proxy") -> TrustedProxies:
    """"127.0.0.1, 10.0.0.0/8, ::1" → TrustedProxies; InvalidInput naming `field` and the entry that is wrong."""
    networks = []
    for entry in (e.strip() for e in (spec or "").split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise InvalidInput(_("{field}: {entry} is not an IP address or network (127.0.0.1, 10.0.0.0/8, ::1)")
                               .format(field=field, entry=repr(entry)), field) from None
    return TrustedProxies(tuple(networks))
