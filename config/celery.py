"""The Celery app. Tasks are thin wrappers over services; periodic jobs are declared per app in `schedules.py`."""

import contextlib
import logging
import logging.config
import os
import sys
from pathlib import Path
from typing import Any

from celery import Celery
from celery.apps.beat import Beat
from celery.signals import before_task_publish, celeryd_init, setup_logging, task_postrun, task_prerun

from config.request_context import request_id_var

REQUEST_ID_TASK_HEADER = "pamoja_request_id"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pamoja")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Logs: the worker and beat write settings.LOGGING's JSON lines (UTC), like the web and the websocket server ---


@setup_logging.connect
def _log_with_django_settings(**kwargs: Any) -> None:
    """Celery's own log setup (its root handler and format, the pool's `multiprocessing` logger) is replaced by
    settings.LOGGING. Celery then no longer turns stdout into log lines, so do that here: what the worker prints
    (the console email backend's mails) becomes INFO lines. (Not stderr: the JSON handler writes there.)"""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)
    if app.conf.worker_redirect_stdouts:
        app.log.redirect_stdouts_to_logger(logging.getLogger("celery.redirected"), logging.INFO, stderr=False)


def _say_as_json(msg: str, f: Any = sys.__stderr__) -> None:
    """Replaces celery.apps.worker.safe_say (its "worker: Warm shutdown (MainProcess)" and Ctrl-C hints, written
    from signal handlers): the same words as one JSON line, written with a bare os.write as Celery does there."""
    from config.logging import JsonFormatter

    record = logging.LogRecord("celery.apps.worker", logging.INFO, __file__, 0, msg.strip(), None, None)
    record.request_id = record.user_id = None
    with contextlib.suppress(OSError, ValueError, AttributeError):  # as Celery's: losing it must not stop the stop
        os.write(f.fileno(), (JsonFormatter().format(record) + "\n").encode())


@celeryd_init.connect
def _prepare_worker(instance: Any = None, **kwargs: Any) -> None:
    """Runs in the worker before anything else is said or connected.

    - Logs: JSON lines from the first one (the root-user SecurityWarning comes next, through `py.warnings`), no
      plain-text banner, and the shutdown messages as JSON lines too.
    - Database: no connection pool in the worker. Prefork children are forked from this process, and a psycopg
      pool forked with them would share its sockets (and its background threads' state) with the parent; each
      child opens its own persistent connection instead (CONN_MAX_AGE, health-checked), after the fork (Celery's
      Django fixup closes whatever the parent had open in each new child). README, "Logs, processes and the
      connection pool".
    """
    import celery.apps.worker
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)
    if instance is not None:
        instance.quiet = True
    celery.apps.worker.safe_say = _say_as_json
    for database in settings.DATABASES.values():
        if database.get("OPTIONS", {}).pop("pool", None) is not None:
            database["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))
            database["CONN_HEALTH_CHECKS"] = True


class _QuietBeat(Beat):
    """`celery beat` without its plain-text banner (its start-up is logged as JSON lines all the same)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["quiet"] = True
        super().__init__(*args, **kwargs)


app.Beat = app.subclass_with_self(_QuietBeat)


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    """kombu's filesystem transport needs its folders to exist before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@before_task_publish.connect
def carry_request_id(headers: dict | None = None, **kwargs) -> None:
    """A task enqueued while serving a request carries its id, so the worker's log lines join the request's."""
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_TASK_HEADER, request_id)


@task_prerun.connect
def restore_request_id(task=None, **kwargs) -> None:
    request_id = getattr(task.request, REQUEST_ID_TASK_HEADER, None) if task is not None else None
    if request_id:
        task.request.request_id_token = request_id_var.set(request_id)


@task_postrun.connect
def forget_request_id(task=None, **kwargs) -> None:
    """Back to what it was: an eager task run inside a request must not wipe the request's own id."""
    token = getattr(task.request, "request_id_token", None) if task is not None else None
    if token is not None:
        request_id_var.reset(token)
