"""What our request plumbing costs: `/api/v1/health/` through the whole stack against a bare WSGI app.

The full stack is every middleware (request id, access log, prometheus, security, CORS, sessions, auth), DRF's
view, throttling off, the JSON renderer and one JSON access-log line (written to /dev/null). The bare app returns
the same body with nothing in between: the floor for a Python WSGI request on this machine; the plain Django
view (no middleware, no DRF) is the plainest Django way, and the ratio to it is the figure to watch.

    .venv/bin/python bench/request_overhead.py [requests]
"""

import io
import logging
import os
import sys
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402


def environ_for(path: str) -> dict:
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b"")}
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = "127.0.0.1"
    return environ


def plain_django_view(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("api/v1/health/", plain_django_view)]


def bare_app(environ, start_response):
    body = b'{"status":"ok"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def per_request_us(app, n: int) -> float:
    def start_response(status, headers, exc_info=None):
        assert status.startswith("200"), status

    for _ in range(200):  # warm up
        b"".join(app(environ_for("/api/v1/health/"), start_response))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            b"".join(app(environ_for("/api/v1/health/"), start_response))
        best = min(best, (time.perf_counter() - started) / n * 1e6)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    application = get_wsgi_application()  # sets up logging again, so redirect after it
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)
    full = per_request_us(application, n)
    with override_settings(MIDDLEWARE=[], ROOT_URLCONF=__name__):
        plain = per_request_us(WSGIHandler(), n)
    bare = per_request_us(bare_app, n)
    print(f"requests per run: {n}, best of 3, one process")
    for label, value in (
        ("full stack /api/v1/health/", full),
        ("plain Django view, no middleware", plain),
        ("bare WSGI callable", bare),
    ):
        print(f"{label:34s} {value:8.1f} µs/request ({1e6 / value:7.0f}/s on one core)")
    print(f"ratio full/plain Django: {full / plain:.1f}x; our plumbing costs {full - plain:.1f} µs per request")


if __name__ == "__main__":
    main()
