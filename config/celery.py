"""The Celery app. Tasks are thin wrappers over services; periodic jobs are declared per app in `schedules.py`."""

import os
from pathlib import Path

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from config.request_context import request_id_var

REQUEST_ID_TASK_HEADER = "pamoja_request_id"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("pamoja")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
