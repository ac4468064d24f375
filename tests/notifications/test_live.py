"""The live socket at /ws/ (notifications/consumers.py through config/asgi.py) and notifications.live.publish().

Each test is a coroutine run with async_to_sync; the consumer reaches the database through database_sync_to_async
(in this thread), so the tests use transactional databases. publish() is synchronous, as its callers are: the tests
call it through sync_to_async, like a Django view served under ASGI."""

import asyncio
import functools
import logging
import socket
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from redis.asyncio.connection import AbstractConnection

from accounts.authentication import SessionAccessToken, SessionRefreshToken
from accounts.registration import end_sessions_now
from config.asgi import application
from groups.services import post_message
from notifications import live, services
from notifications.consumers import CLOSE_UNAUTHENTICATED, LiveConsumer
from tests.factories import UserFactory
from tests.factories.groups import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def run_async(test):
    """An async test body, run to completion in a fresh event loop (no pytest-asyncio)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return async_to_sync(test)(*args, **kwargs)

    return wrapper


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    """A fresh in-memory layer per test (channels rebuilds it when the setting changes); no polling unless a test
    turns it on."""
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.NOTIFICATIONS_LIVE_POLL_SECONDS = 0


@pytest.fixture
def member(transactional_db):
    return UserFactory()


@pytest.fixture
def other_member(transactional_db):
    return UserFactory()


def access_token(user, lifetime: timedelta | None = None) -> str:
    token = SessionAccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


async def open_socket(path: str = "/ws/") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def signed_in(user) -> WebsocketCommunicator:
    communicator = await open_socket(f"/ws/?token={access_token(user)}")
    assert await communicator.receive_json_from() == {"type": "ready"}
    return communicator


async def assert_closed_unauthenticated(communicator: WebsocketCommunicator, timeout: float = 1) -> None:
    output = await communicator.receive_output(timeout)
    assert output["type"] == "websocket.close"
    assert output["code"] == CLOSE_UNAUTHENTICATED == 4001


async def publish(user_ids, message: dict) -> None:
    await sync_to_async(live.publish)(user_ids, message)


# --- signing in -------------------------------------------------------------------------------------------------


@run_async
async def test_token_in_the_query_signs_in(member):
    communicator = await signed_in(member)
    await communicator.disconnect()


@run_async
async def test_token_in_the_first_message_signs_in(member):
    communicator = await open_socket()
    assert await communicator.receive_nothing(timeout=0.1)  # nothing until it authenticates
    await communicator.send_json_to({"type": "authenticate", "token": access_token(member)})
    assert await communicator.receive_json_from() == {"type": "ready"}
    await communicator.disconnect()


def garbage(user):
    return "not-a-jwt"


def expired(user):
    return access_token(user, lifetime=timedelta(seconds=-1))


def issued_before_the_sessions_ended(user):
    token = access_token(user)
    end_sessions_now(user=user)  # logout, password change…
    return token


def of_an_inactive_user(user):
    token = access_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return token


def a_refresh_token(user):
    return str(SessionRefreshToken.for_user(user))


def forged(user):
    header, payload, _ = access_token(user).split(".")
    return f"{header}.{payload}.{'A' * 43}"


REFUSED = [garbage, expired, issued_before_the_sessions_ended, of_an_inactive_user, a_refresh_token, forged]


@pytest.mark.parametrize("make_token", REFUSED)
@run_async
async def test_refused_query_token_closes_4001(member, make_token):
    token = await database_sync_to_async(make_token)(member)
    communicator = await open_socket(f"/ws/?token={token}")
    await assert_closed_unauthenticated(communicator)
    await communicator.disconnect()


@pytest.mark.parametrize("make_token", REFUSED)
@run_async
async def test_refused_first_message_token_closes_4001(member, make_token):
    token = await database_sync_to_async(make_token)(member)
    communicator = await open_socket()
    await communicator.send_json_to({"type": "authenticate", "token": token})
    await assert_closed_unauthenticated(communicator)
    await communicator.disconnect()


@run_async
async def test_empty_query_token_closes_4001():
    communicator = await open_socket("/ws/?token=")
    await assert_closed_unauthenticated(communicator)
    await communicator.disconnect()


@run_async
async def test_no_authentication_in_time_closes_4001(monkeypatch):
    monkeypatch.setattr(LiveConsumer, "auth_timeout", 0.2)
    communicator = await open_socket()
    await communicator.send_json_to({"type": "ping"})  # answered, but does not sign in
    assert await communicator.receive_json_from() == {"type": "pong"}
    await assert_closed_unauthenticated(communicator)
    await communicator.disconnect()


@run_async
async def test_socket_closes_4001_when_its_token_expires(member):
    token = access_token(member, lifetime=timedelta(seconds=2))  # `exp` is whole seconds: 1 to 2 s from now
    communicator = await open_socket(f"/ws/?token={token}")
    assert await communicator.receive_json_from() == {"type": "ready"}
    await assert_closed_unauthenticated(communicator, timeout=3)
    await communicator.disconnect()


@run_async
async def test_a_fresh_token_keeps_the_socket_open(member):
    communicator = await open_socket(f"/ws/?token={access_token(member, lifetime=timedelta(seconds=2))}")
    assert await communicator.receive_json_from() == {"type": "ready"}
    await communicator.send_json_to({"type": "authenticate", "token": access_token(member)})
    assert await communicator.receive_json_from() == {"type": "ready"}
    assert await communicator.receive_nothing(timeout=2.2)  # past the first token's expiry
    await communicator.disconnect()


@run_async
async def test_another_users_token_closes_4001(member, other_member):
    communicator = await signed_in(member)
    await communicator.send_json_to({"type": "authenticate", "token": access_token(other_member)})
    await assert_closed_unauthenticated(communicator)
    await communicator.disconnect()


# --- after signing in -------------------------------------------------------------------------------------------


@run_async
async def test_ping_pong(member):
    communicator = await signed_in(member)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.send_to(text_data="not json")  # ignored, the socket stays open
    await communicator.send_json_to({"type": "something else"})
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


@run_async
async def test_publish_reaches_every_socket_of_the_user_only(member, other_member):
    phone, laptop = await signed_in(member), await signed_in(member)
    stranger = await signed_in(other_member)
    message = {"kind": "notification", "notification": {"id": 7, "title": "Contribution received"}}

    await publish([member.pk], message)

    assert await phone.receive_json_from() == message
    assert await laptop.receive_json_from() == message
    assert await stranger.receive_nothing(timeout=0.2)
    for communicator in (phone, laptop, stranger):
        await communicator.disconnect()


@run_async
async def test_publish_to_several_users_and_group_messages(member, other_member):
    first, second = await signed_in(member), await signed_in(other_member)
    message = {"kind": "group_message", "group": 12, "message": {"id": 3, "body": "Meeting at six"}}

    await publish([member.pk, str(other_member.pk), member.pk], message)

    assert await first.receive_json_from() == message
    assert await first.receive_nothing(timeout=0.1)  # named twice, sent once
    assert await second.receive_json_from() == message
    await first.disconnect()
    await second.disconnect()


@run_async
async def test_publish_sends_uuids_decimals_and_dates_as_json_strings(member):
    communicator = await signed_in(member)
    reference = uuid.uuid4()

    await publish([member.pk], {"kind": "notification", "notification": {"ref": reference, "amount": Decimal("5.10")}})

    assert await communicator.receive_json_from() == {
        "kind": "notification",
        "notification": {"ref": str(reference), "amount": "5.10"},
    }
    await communicator.disconnect()


@run_async
async def test_a_closed_socket_leaves_the_users_group(member):
    communicator = await signed_in(member)
    await communicator.disconnect()
    layer = live.get_channel_layer()
    assert not layer.groups.get(live.user_group(member.pk))


def test_user_group_is_a_valid_channels_group_name():
    user_id = uuid.uuid4()
    group = live.user_group(user_id)
    assert group == f"user.{user_id.hex}" == live.user_group(str(user_id))
    assert len(group) < 100 and all(c.isascii() and (c.isalnum() or c in "-_.") for c in group)


# --- publish() never fails its caller ---------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_publish_with_redis_down_logs_a_warning_and_returns(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": f"redis://127.0.0.1:{closed_port()}/0", "socket_connect_timeout": 1}]},
        }
    }
    with caplog.at_level(logging.WARNING, logger="pamoja.notifications.live"):
        live.publish([uuid.uuid4()], {"kind": "notification", "notification": {"id": 1}})
    (record,) = [r for r in caplog.records if r.name == "pamoja.notifications.live"]
    assert record.levelno == logging.WARNING and record.exc_info is not None


def test_publish_with_a_broken_layer_or_message_logs_and_returns(monkeypatch, caplog):
    class BrokenLayer:
        async def group_send(self, group, message):
            raise ConnectionError("layer down")

    monkeypatch.setattr(live, "get_channel_layer", BrokenLayer)
    with caplog.at_level(logging.WARNING, logger="pamoja.notifications.live"):
        live.publish([uuid.uuid4()], {"kind": "notification"})
        live.publish(["not-a-uuid"], {"kind": "notification"})
        live.publish([uuid.uuid4()], {"kind": "notification", "notification": {"x": object()}})
    assert len([r for r in caplog.records if r.name == "pamoja.notifications.live"]) == 3


def test_publish_to_nobody_is_a_no_op():
    live.publish([], {"kind": "notification"})


def test_in_memory_publish_without_a_socket_in_this_process_sends_nothing(monkeypatch):
    """A WSGI worker serves no socket: its publishes must not spend a thread and an event loop on nobody."""
    layer = get_channel_layer()
    listener = uuid.uuid4()
    started = []
    monkeypatch.setattr(live, "async_to_sync", lambda function: started.append(function) or async_to_sync(function))

    live.publish([uuid.uuid4(), uuid.uuid4()], {"kind": "notification"})
    assert started == []

    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.user_group(listener), channel)
    live.publish([uuid.uuid4(), listener], {"kind": "notification", "n": 1})
    assert len(started) == 1
    assert async_to_sync(layer.receive)(channel) == {
        "type": live.EVENT_TYPE,
        "message": {"kind": "notification", "n": 1},
    }


class RecordingLayer:
    """A layer that is not in memory (as Redis is not): records the loop each send runs on."""

    def __init__(self):
        self.loops = []

    async def group_send(self, group, message):
        self.loops.append(asyncio.get_running_loop())


def test_publishing_through_a_shared_layer_reuses_one_loop_and_a_forked_child_makes_its_own(monkeypatch):
    layer = RecordingLayer()
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(live, "_publisher_loop", live.PublisherLoop())
    threads_before = threading.active_count()
    for _ in range(5):
        live.publish([uuid.uuid4()], {"kind": "notification"})
    assert len(layer.loops) == 5 and len(set(map(id, layer.loops))) == 1, "one loop for every publish"
    assert threading.active_count() <= threads_before + 1
    monkeypatch.setattr(live.os, "getpid", lambda: -1)  # what a forked worker sees: another pid
    live.publish([uuid.uuid4()], {"kind": "notification"})
    assert layer.loops[-1] is not layer.loops[0] and layer.loops[-1].is_running()


def test_a_publish_that_hangs_is_given_up_after_the_timeout(monkeypatch, caplog):
    class HangingLayer:
        async def group_send(self, group, message):
            await asyncio.sleep(60)

    monkeypatch.setattr(live, "get_channel_layer", HangingLayer)
    monkeypatch.setattr(live, "PUBLISH_TIMEOUT", 0.2)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="pamoja.notifications.live"):
        live.publish([uuid.uuid4()], {"kind": "notification"})
    assert time.monotonic() - started < 2
    assert [r.levelno for r in caplog.records if r.name == "pamoja.notifications.live"] == [logging.WARNING]


# --- the in-memory layer's database poll ------------------------------------------------------------------------


class FakeFetch:
    """Stands in for notifications' query: baseline 5, then notification 6 once."""

    def __init__(self):
        self.calls = []

    def __call__(self, user_id, after_id):
        self.calls.append((user_id, after_id))
        if after_id is None:
            return 5, []
        if after_id < 6:
            return 6, [{"kind": "notification", "notification": {"id": 6}}]
        return after_id, []


@run_async
async def test_in_memory_layer_polls_for_new_notifications_once_each(member, settings, monkeypatch):
    fetch = FakeFetch()
    monkeypatch.setattr(LiveConsumer, "fetch_new", staticmethod(fetch))
    settings.NOTIFICATIONS_LIVE_POLL_SECONDS = 0.05
    communicator = await signed_in(member)

    assert await communicator.receive_json_from() == {"kind": "notification", "notification": {"id": 6}}
    await publish([member.pk], {"kind": "notification", "notification": {"id": 6}})  # already sent by the poll
    assert await communicator.receive_nothing(timeout=0.2)
    assert fetch.calls[:2] == [(member.pk, None), (member.pk, 5)]
    assert all(after_id == 6 for _, after_id in fetch.calls[2:])
    await communicator.disconnect()
    calls = len(fetch.calls)
    assert await communicator.receive_nothing(timeout=0.15)
    assert len(fetch.calls) == calls  # the poll stops with the socket


@run_async
async def test_poll_off_when_the_setting_is_zero(member, monkeypatch):
    fetch = FakeFetch()
    monkeypatch.setattr(LiveConsumer, "fetch_new", staticmethod(fetch))
    communicator = await signed_in(member)
    assert await communicator.receive_nothing(timeout=0.1)
    assert fetch.calls == []
    await communicator.disconnect()


@run_async
async def test_a_failing_poll_keeps_the_socket(member, settings, monkeypatch):
    def failing(user_id, after_id):
        raise RuntimeError("database away")

    monkeypatch.setattr(LiveConsumer, "fetch_new", staticmethod(failing))
    settings.NOTIFICATIONS_LIVE_POLL_SECONDS = 0.05
    communicator = await signed_in(member)
    assert await communicator.receive_nothing(timeout=0.15)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


def test_fetch_new_notifications_reads_what_the_socket_has_not_sent():
    user, other = UserFactory(), UserFactory()
    before = services.notify(user=user, event="pin_changed", context={})
    baseline, nothing = live.fetch_new_notifications(user.pk, None)
    assert baseline == before.pk and nothing == []
    new = [services.notify(user=user, event="pin_changed", context={}) for _ in range(2)]
    services.notify(user=other, event="pin_changed", context={})
    cursor, messages = live.fetch_new_notifications(user.pk, baseline)
    assert cursor == new[-1].pk and [m["notification"]["id"] for m in messages] == [n.pk for n in new]
    assert messages[0]["kind"] == "notification" and messages[0]["notification"]["event"] == "pin_changed"
    assert live.fetch_new_notifications(user.pk, cursor) == (cursor, [])
    assert live.fetch_new_notifications(uuid.uuid4(), None) == (0, [])


# --- Redis, as deployed (CI sets REDIS_URL) ---------------------------------------------------------------------


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (set REDIS_URL)")
@run_async
async def test_through_redis_publish_reaches_the_socket_and_nothing_polls(member, other_member, settings, monkeypatch):
    # A database of its own: the cache's (REDIS_URL's) is flushed before and after every test, on every xdist
    # worker, which would drop the socket's group membership in the middle of this test.
    layer_url = urlsplit(settings.REDIS_URL)._replace(path="/15").geturl()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [layer_url]}}
    }
    settings.NOTIFICATIONS_LIVE_POLL_SECONDS = 0.05
    fetch = FakeFetch()
    monkeypatch.setattr(LiveConsumer, "fetch_new", staticmethod(fetch))
    communicator, stranger = await signed_in(member), await signed_in(other_member)
    message = {"kind": "notification", "notification": {"id": 1, "title": "Payout sent"}}

    await publish([member.pk], message)

    assert await communicator.receive_json_from(timeout=2) == message
    assert await stranger.receive_nothing(timeout=0.2)
    assert fetch.calls == []  # Redis reaches every process: no polling
    await communicator.disconnect()
    await stranger.disconnect()


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (set REDIS_URL)")
def test_through_redis_many_publishes_share_a_connection(settings, monkeypatch):
    """A new event loop per publish opened a new Redis connection every time (about 1.8 ms of each transfer)."""
    layer_url = urlsplit(settings.REDIS_URL)._replace(path="/15").geturl()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [layer_url]}}
    }
    opened = []
    connect = AbstractConnection.connect

    async def counted_connect(self):
        if not self.is_connected:
            opened.append(self)
        return await connect(self)

    monkeypatch.setattr(AbstractConnection, "connect", counted_connect)
    for _ in range(20):
        live.publish([uuid.uuid4()], {"kind": "notification", "notification": {"id": 1}})
    assert 1 <= len(opened) <= 2, f"{len(opened)} connections opened by 20 publishes"


# --- what the product pushes ----------------------------------------------------------------------------------


@run_async
async def test_a_notification_made_after_connecting_arrives_on_the_socket():
    user = await database_sync_to_async(UserFactory)()
    communicator = await signed_in(user)
    made = await database_sync_to_async(services.notify)(
        user=user, event="transfer_received", context={"amount": "KES 50.00", "sender": "Amina"}
    )
    pushed = await communicator.receive_json_from(timeout=2)
    assert pushed["kind"] == "notification" and pushed["notification"]["id"] == made.pk
    assert pushed["notification"]["title"] == "You received KES 50.00"
    await communicator.disconnect()


@run_async
async def test_a_group_message_reaches_the_members_sockets_and_nobody_elses():
    author = await database_sync_to_async(MembershipFactory)()
    reader = await database_sync_to_async(MembershipFactory)(group=author.group)
    outsider = await database_sync_to_async(UserFactory)()
    reader_socket, outsider_socket = await signed_in(reader.user), await signed_in(outsider)
    await database_sync_to_async(post_message)(membership=author, body="Meeting moved to Friday")
    pushed = await reader_socket.receive_json_from(timeout=2)
    assert pushed["kind"] == "group_message" and pushed["group"] == str(author.group_id)
    assert pushed["message"]["body"] == "Meeting moved to Friday"
    assert await outsider_socket.receive_nothing(timeout=0.3)
    await reader_socket.disconnect()
    await outsider_socket.disconnect()
