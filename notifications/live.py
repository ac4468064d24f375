"""Live delivery, the publishing side: other code calls `publish()` once its transaction has committed (from
`transaction.on_commit`), and every socket the users have open at /ws/ (notifications/consumers.py, served by the
`ws` process) gets the message as JSON, unchanged:

    {"kind": "notification", "notification": {...serialized...}}
    {"kind": "group_message", "group": <id>, "message": {...}}

Messages travel on the channel layer (settings.CHANNEL_LAYERS): Redis when one is configured, which every process
shares. Without Redis the layer is in memory and reaches only its own process; the consumer then polls the database
instead, through `fetch_new_notifications`.

Delivery is best effort: a socket that is not open misses the message (the client reloads its list on `ready`), and
a failing layer never fails the caller's request."""

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
import uuid
from collections.abc import Coroutine, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder

from notifications.selectors import latest_notification_id, notifications_after

logger = logging.getLogger("pamoja.notifications.live")

EVENT_TYPE = "live.message"  # the consumer's `live_message` handler
PUBLISH_TIMEOUT = 2.0  # seconds for one whole publish(): a slow or unreachable Redis must not hold a request


def user_group(user_id: Any) -> str:
    """The channel-layer group of one user's open sockets (ASCII, 37 characters)."""
    return f"user.{uuid.UUID(str(user_id)).hex}"


async def _group_send_all(layer: Any, groups: list[str], event: dict) -> None:
    async with asyncio.timeout(PUBLISH_TIMEOUT):
        for group in groups:
            await layer.group_send(group, event)


class PublisherLoop:
    """One event loop per process, on a thread of its own, that every publish through Redis runs on.

    channels_redis keeps its connections per event loop; `async_to_sync` made a new loop for each call from a sync
    thread, so every publish opened (and dropped) a Redis connection: about 1.8 ms of a transfer. A forked child
    (a gunicorn or Celery worker) starts its own loop on first use: a loop's thread does not survive a fork."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0

    def run(self, coroutine: Coroutine[Any, Any, None], *, timeout: float) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._running_loop())
        try:
            future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop = asyncio.new_event_loop()
                self._pid = os.getpid()
                threading.Thread(target=self._loop.run_forever, name="live-publish", daemon=True).start()
            return self._loop


_publisher_loop = PublisherLoop()


def publish(user_ids: Iterable[Any], message: dict) -> None:
    """Send `message` to every open socket of each user. Never raises: a failure (Redis down, a value JSON cannot
    carry) is logged as a warning and the message dropped. Call it after the commit, never inside a transaction that
    may still roll back. UUIDs, decimals and dates in `message` arrive as strings (Django's JSON encoder)."""
    try:
        groups = list(dict.fromkeys(user_group(user_id) for user_id in user_ids))
        if not groups:
            return
        # JSON now, so every layer (in memory or Redis) carries exactly what the client will read
        event = {"type": EVENT_TYPE, "message": json.loads(json.dumps(message, cls=DjangoJSONEncoder))}
        layer = get_channel_layer()
        if layer is None:
            return
        if isinstance(layer, InMemoryChannelLayer):
            listening = [group for group in groups if layer.groups.get(group)]
            if not listening:
                # No socket of these users is open in this process (always so in a WSGI worker, which serves none):
                # the send would reach nobody, and costs a thread and an event loop (about 2 ms of a transfer's CPU).
                return
            # its queues belong to the consumers' loop (the one a test or an ASGI view runs under): send from there
            async_to_sync(_group_send_all)(layer, listening, event)
        else:
            _publisher_loop.run(_group_send_all(layer, groups, event), timeout=PUBLISH_TIMEOUT + 0.5)
    except Exception:
        logger.warning(
            "live publish failed; message dropped",
            exc_info=True,
            extra={"live_kind": message.get("kind") if isinstance(message, dict) else None},
        )


def fetch_new_notifications(user_id: Any, after_id: int | None) -> tuple[int | None, list[dict]]:
    """The in-memory layer's fallback (notifications/consumers.py polls it): the user's notifications with an id
    greater than `after_id`, oldest first, as the messages `publish()` would have sent
    (`{"kind": "notification", "notification": {...}}`), and the id to pass next time (the greatest id seen).
    With `after_id` None, no messages, only the user's greatest notification id (the baseline, taken at connect)."""
    if after_id is None:
        return latest_notification_id(user_id=user_id), []
    rows = notifications_after(user_id=user_id, after_id=after_id)
    cursor = rows[-1]["id"] if rows else after_id
    return cursor, [{"kind": "notification", "notification": row} for row in rows]
