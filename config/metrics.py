"""`/metrics` (django-prometheus) for the scraper only: open while DEBUG is on; otherwise it needs
`Authorization: Bearer <METRICS_TOKEN>` or a client address in METRICS_ALLOWED_IPS (addresses or networks, the
address as seen through NUM_PROXIES trusted proxies). Anyone else gets a 403."""

import hmac
import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, HttpResponseForbidden
from django_prometheus.exports import ExportToDjangoView
from django_prometheus.middleware import PrometheusAfterMiddleware
from django_prometheus.utils import Time, TimeSince

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


class RequestMetricsMiddleware(PrometheusAfterMiddleware):
    """django-prometheus' per-request series that an API is watched by (requests by method and by view, responses by
    status and by status, view and method, latency by view and method, exceptions), without the body-size
    histograms, transport, charset and template-name counters it also keeps on every request, and with each
    labelled child looked up once per process: its full set cost about a seventh of a `GET health/`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels) if labels else metric
        return child

    def process_request(self, request: HttpRequest) -> None:
        self._child(self.metrics.requests_by_method, self._method(request)).inc()
        request.prometheus_after_middleware_event = Time()  # type: ignore[attr-defined]  # read back by the parent too

    def process_template_response(self, request: HttpRequest, response: Any) -> Any:
        return response  # responses by template name: every DRF answer is one, named None

    def process_view(self, request: HttpRequest, view_func: Any, *view_args: Any, **view_kwargs: Any) -> None:
        name = self._get_view_name(request)
        metric = self.metrics.requests_by_view_transport_method
        self._child(metric, name, self._transport(request), self._method(request)).inc()

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        method, name, status = self._method(request), self._get_view_name(request), str(response.status_code)
        self._child(self.metrics.responses_by_status, status).inc()
        self._child(self.metrics.responses_by_status_view_method, status, name, method).inc()
        started = getattr(request, "prometheus_after_middleware_event", None)
        if started is not None:
            latency = self._child(self.metrics.requests_latency_by_view_method, name, method)
            latency.observe(TimeSince(started))
        else:
            self._child(self.metrics.requests_unknown_latency).inc()
        return response
