"""What `/api/v1/ready/` checks: each dependency the app cannot serve without."""

import logging
import os
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connections

from config.celery import app as celery_app

logger = logging.getLogger("pamoja.readiness")


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    conf = celery_app.conf
    if conf.broker_url.startswith("filesystem"):
        folder = (conf.broker_transport_options or {}).get("data_folder_in", "")
        if not (folder and os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise OSError("broker folder missing or not writable")
        return
    with celery_app.connection_for_write(connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1, timeout=2)


def check_cache() -> None:
    key, value = f"ready-probe:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, timeout=5)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return what was stored")
    cache.delete(key)


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
}


def check_states() -> dict[str, str]:
    """Each check's state, `ok` or `unreachable`; the caller decides what a failure means."""
    states = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception:  # any failure means not ready; the reason is logged, not exposed
            logger.warning("readiness check failed: %s", name, exc_info=True)
            states[name] = "unreachable"
        else:
            states[name] = "ok"
    return states
