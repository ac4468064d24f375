"""`/metrics` (django-prometheus) for the scraper only: open while DEBUG is on; otherwise it needs
`Authorization: Bearer <METRICS_TOKEN>` or a client address in METRICS_ALLOWED_IPS (addresses or networks, the
address as seen through NUM_PROXIES trusted proxies). Anyone else gets a 403."""

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponseForbidden
from django_prometheus.exports import ExportToDjangoView

from config.client_ip import client_ip


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _token_matches(request) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(presented.encode(), expected.encode())


def _address_allowed(request) -> bool:
    networks = _networks(tuple(settings.METRICS_ALLOWED_IPS))
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in networks)


def metrics_view(request):
    if settings.DEBUG or _token_matches(request) or _address_allowed(request):
        return ExportToDjangoView(request)
    return HttpResponseForbidden("Forbidden.\n", content_type="text/plain")
