"""A small circuit breaker for the bill provider, kept in the cache (shared by every process on one cache).

It counts consecutive purchase calls (`pay`, `requery`) that got no usable answer. After `BILLPAY_BREAKER_THRESHOLD`
of them in a row it opens: `place_order` refuses with `provider_unavailable` (503) before debiting anything. After
`BILLPAY_BREAKER_COOLDOWN` seconds it lets exactly one order through as a probe; an answer closes it, another
failure opens it for a fresh cool-down. Requeries of orders already paid for are never refused: they are how the
money already in flight gets settled.
"""

import time

from django.conf import settings
from django.core.cache import cache


def _now() -> float:
    return time.time()


def _keys(provider: str) -> tuple[str, str, str]:
    base = f"billpay:breaker:{provider}"
    return f"{base}:failures", f"{base}:opened_at", f"{base}:probe"


def _threshold() -> int:
    return int(settings.BILLPAY_BREAKER_THRESHOLD)


def _cooldown() -> int:
    return int(settings.BILLPAY_BREAKER_COOLDOWN)


def is_open(provider: str) -> bool:
    failures_key, opened_key, _ = _keys(provider)
    return int(cache.get(failures_key, 0)) >= _threshold() and cache.get(opened_key) is not None


def allow(provider: str) -> bool:
    """May a new purchase go to `provider` now? Closed: yes. Open: no, until the cool-down has passed; then one
    caller (the probe) gets yes until the probe's answer is recorded or another cool-down passes."""
    failures_key, opened_key, probe_key = _keys(provider)
    if int(cache.get(failures_key, 0)) < _threshold():
        return True
    opened_at = cache.get(opened_key)
    if opened_at is not None and _now() < float(opened_at) + _cooldown():
        return False
    return bool(cache.add(probe_key, _now(), timeout=_cooldown()))


def record_success(provider: str) -> None:
    cache.delete_many(list(_keys(provider)))


def record_failure(provider: str) -> None:
    failures_key, opened_key, probe_key = _keys(provider)
    cache.add(failures_key, 0, timeout=None)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # evicted between add and incr
        cache.set(failures_key, 1, timeout=None)
        failures = 1
    if failures >= _threshold():
        cache.set(opened_key, _now(), timeout=None)
        cache.delete(probe_key)
