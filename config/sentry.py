"""Error tracking with Sentry, when `SENTRY_DSN` is set: Django and Celery integrations, and no personal data.

Sentry stores what it is sent on someone else's servers, so an event leaves without request bodies (a login, a
PIN, a KYC form), cookies, query strings' secrets, local variables, or the headers that authorise a request
(`Authorization`, `X-Pin-Token`, `Cookie`, loyalty's `X-Api-Key` and `X-Signature`); what remains is redacted by
the same rules as the logs (config/logging.py).
"""

from typing import Any

from config.logging import REDACTED, redact, redact_text

DROPPED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-pin-token", "x-api-key", "x-signature"}
)


def _scrub_request(request: dict[str, Any]) -> None:
    request.pop("data", None)
    request.pop("cookies", None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: redact(value) for name, value in headers.items() if name.lower() not in DROPPED_HEADERS
        }
    elif isinstance(headers, list):  # [[name, value], …], the other form the protocol allows
        request["headers"] = [
            [name, redact(value)] for name, value in headers if str(name).lower() not in DROPPED_HEADERS
        ]
    if isinstance(request.get("query_string"), str):
        request["query_string"] = redact_text(request["query_string"])
    if isinstance(request.get("env"), dict):
        request["env"] = {
            key: REDACTED if "COOKIE" in key or "AUTH" in key else value for key, value in request["env"].items()
        }


def before_send(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's last hook before an event leaves the process: strip what must not leave."""
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    for key in ("extra", "contexts", "tags"):
        if isinstance(event.get(key), dict):
            event[key] = redact(event[key])
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        if isinstance(logentry.get("message"), str):
            logentry["message"] = redact_text(logentry["message"])
        if isinstance(logentry.get("formatted"), str):
            logentry["formatted"] = redact_text(logentry["formatted"])
        logentry.pop("params", None)
    if isinstance(event.get("message"), str):
        event["message"] = redact_text(event["message"])
    breadcrumbs = event.get("breadcrumbs")
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values if isinstance(values, list) else []:
        if isinstance(crumb.get("message"), str):
            crumb["message"] = redact_text(crumb["message"])
        if isinstance(crumb.get("data"), dict):
            crumb["data"] = redact(crumb["data"])
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = redact_text(exception["value"])
    return event


def init_sentry(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> None:
    """Start the SDK (called by settings only when a DSN is set, so nothing is sent by default)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,  # type: ignore[arg-type]
        before_send_transaction=before_send,  # type: ignore[arg-type]  # a transaction carries the request too
    )
