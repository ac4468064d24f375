"""The one seam every app notifies users through. Until the notifications issue fills it (in-app, push, SMS,
email), a notification is a structured log line, so scheduled jobs can already be written and tested against it."""

import logging
from typing import Any

logger = logging.getLogger("pamoja.notifications")


def notify(*, user, kind: str, title: str, body: str, data: dict[str, Any] | None = None) -> None:
    logger.info(
        "notify %s: %s",
        kind,
        title,
        extra={"notify_user": str(user.pk), "notify_kind": kind, "notify_body": body, "notify_data": data or {}},
    )
