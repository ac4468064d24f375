"""Handing a task to Celery after a commit, without letting a broker outage undo the answer.

Work that follows a committed effect (send the withdrawal, run the group's payouts, deliver a sandbox webhook) is
queued with `transaction.on_commit`. If the broker (Redis) cannot be reached then, `.delay` raises kombu's
`OperationalError` from inside the on-commit hooks: the money has moved and is recorded, yet the request would
answer 500 and the hooks after it would not run. `enqueue_on_commit` queues the task after commit and, when the
broker is down, logs it and goes on: each such task has a sweeper that finds its work in the database later
(`payments.reconcile_pending_payments` for withdrawals, the hourly group payout job, `notifications.send_due`).
Only broker errors are swallowed; a task that fails while run eagerly (tests) still raises.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailableError

logger = logging.getLogger("pamoja.tasks")


def enqueue(task: Task, *args: Any, countdown: float | None = None) -> bool:
    """Queue `task(*args)` now; False (logged, not raised) when the broker cannot be reached."""
    try:
        if countdown is None:
            task.delay(*args)
        else:
            task.apply_async(args=args, countdown=countdown)
    except BrokerUnavailableError:
        logger.warning(
            "broker unavailable: %s%r not queued; its sweeper will pick it up", task.name, args, exc_info=True
        )
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, countdown: float | None = None) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one), as `enqueue` does."""
    transaction.on_commit(lambda: enqueue(task, *args, countdown=countdown))
