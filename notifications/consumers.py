"""The live socket at /ws/ (config/asgi.py; the `ws` process runs it under daphne). JSON text frames both ways.

Authentication, with the access JWT of the REST API and its rules (accounts/authentication.py: signature, expiry,
an active user, a token issued after the user's sessions last ended):
- `/ws/?token=<access>` at connect, or, without `token` in the query (which proxies may log), the first message
  `{"type": "authenticate", "token": "<access>"}` within `auth_timeout` (10) seconds;
- the server answers `{"type": "ready"}`. A refused, missing or late token closes the socket with code 4001 (the
  handshake is accepted first, so a browser sees 4001 rather than a failed connection: refresh the token, reconnect);
- the socket lives until the token expires, then closes with 4001. To keep it open, send a fresh access token of the
  same user in another `authenticate` message before then (answered with `ready` again). So a logout, password change
  or deactivation ends live delivery within one access-token lifetime.

Then the server sends what `notifications.live.publish()` sent to the user, unchanged (`{"kind": ...}`), and answers
`{"type": "ping"}` with `{"type": "pong"}`. Anything else is ignored. Nothing sent while the socket was closed is
replayed: on `ready`, reload through the REST API.

With the in-memory channel layer (no Redis: `make run`, where web and worker are other processes), publish() never
reaches this process, so the consumer also polls the database every NOTIFICATIONS_LIVE_POLL_SECONDS for notifications
newer than the connection (`LiveConsumer.fetch_new`); group messages are not polled."""

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import InMemoryChannelLayer
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

from accounts.authentication import SessionAwareJWTAuthentication
from accounts.models import User
from notifications.live import fetch_new_notifications, user_group

logger = logging.getLogger("pamoja.notifications.live")

CLOSE_UNAUTHENTICATED = 4001
MAX_TOKEN_LENGTH = 4096  # an access token is well under 1 KB


def authenticate(raw_token: str) -> tuple[User, float] | None:
    """The user an access token signs in, and when the token expires (epoch seconds); None when the REST API would
    refuse the same token as a bearer."""
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH:
        return None
    authentication = SessionAwareJWTAuthentication()
    try:
        token = authentication.get_validated_token(raw_token.encode())
        user = authentication.get_user(token)
    except (AuthenticationFailed, TokenError):
        return None
    return user, float(token["exp"])


def _query_token(query_string: bytes) -> str | None:
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("token")
    return values[0] if values else None


class LiveConsumer(AsyncJsonWebsocketConsumer):
    auth_timeout: float = 10
    # (user_id, after_id) -> (next after_id, messages); the database fallback of the in-memory layer
    fetch_new = staticmethod(fetch_new_notifications)

    async def connect(self) -> None:
        self.user_id: Any = None
        self.closed = False
        self.deadline: asyncio.Task | None = None
        self.poller: asyncio.Task | None = None
        self.sent_notification_ids: deque = deque(maxlen=500)  # the poll and a publish may carry the same one
        await self.accept()
        token = _query_token(self.scope.get("query_string", b""))
        if token is None:
            self._set_deadline(time.time() + self.auth_timeout, "authenticate first")
        else:
            await self._authenticate(token)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        self._cancel_tasks()  # the base class leaves self.groups

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if self.closed or text_data is None:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict):
            await self.receive_json(content)

    async def receive_json(self, content: dict, **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "authenticate":
            token = content.get("token")
            await self._authenticate(token if isinstance(token, str) else "")

    async def live_message(self, event: dict) -> None:
        """A message publish() sent to the user's group."""
        await self._deliver(event["message"])

    async def _deliver(self, message: dict) -> None:
        if self.closed:
            return
        notification = message.get("notification") if message.get("kind") == "notification" else None
        notification_id = notification.get("id") if isinstance(notification, dict) else None
        if notification_id is not None:
            if notification_id in self.sent_notification_ids:
                return
            self.sent_notification_ids.append(notification_id)
        await self.send_json(message)

    async def _authenticate(self, raw_token: str) -> None:
        if self.closed:
            return
        signed_in = await database_sync_to_async(authenticate)(raw_token)
        if self.closed:  # the deadline passed, or the client left, while the database answered
            return
        if signed_in is None:
            await self._refuse("invalid or expired token")
            return
        user, expires_at = signed_in
        if self.user_id is not None and user.pk != self.user_id:
            await self._refuse("the token is another user's")
            return
        self._set_deadline(expires_at, "token expired")
        if self.user_id is None:
            self.user_id = user.pk
            group = user_group(user.pk)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
            self._start_polling()
        await self.send_json({"type": "ready"})

    async def _refuse(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._cancel_tasks()
        await self.close(code=CLOSE_UNAUTHENTICATED, reason=reason)

    def _set_deadline(self, at: float, reason: str) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        self.deadline = asyncio.create_task(self._close_at(at, reason))

    async def _close_at(self, at: float, reason: str) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        self.deadline = None  # so _refuse does not cancel the task running it
        await self._refuse(reason)

    def _cancel_tasks(self) -> None:
        for task in (self.deadline, self.poller):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        self.deadline = self.poller = None

    def _start_polling(self) -> None:
        seconds = settings.NOTIFICATIONS_LIVE_POLL_SECONDS
        if seconds > 0 and isinstance(self.channel_layer, InMemoryChannelLayer):
            self.poller = asyncio.create_task(self._poll(seconds))

    async def _poll(self, seconds: float) -> None:
        fetch = database_sync_to_async(self.fetch_new)
        after_id = None  # the first call only takes the baseline: nothing older than the connection is sent
        while not self.closed:
            try:
                after_id, messages = await fetch(self.user_id, after_id)
            except Exception:
                logger.warning("live poll failed", exc_info=True)
                messages = []
            for message in messages:
                await self._deliver(message)
            await asyncio.sleep(seconds)
