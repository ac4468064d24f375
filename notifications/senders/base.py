"""What a channel's sender takes and gives back. Each provider adapter (Africa's Talking, Twilio, FCM) and each
sandbox implements one of these, so the delivery task never knows which provider it talks to."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutgoingSms:
    to: str  # E.164, e.g. +254712345678
    text: str


@dataclass(frozen=True)
class OutgoingPush:
    token: str  # the device's FCM registration token
    title: str
    body: str
    link: str = ""  # the deep link the app opens, e.g. /groups/12/cycles/3
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_id: str  # the provider's id for the message (Africa's Talking messageId, Twilio sid, FCM name)


class SendFailed(Exception):
    """The provider did not take the message. `retryable` says whether trying again later may succeed (timeouts,
    5xx, rate limits) or never will (a malformed number, a rejected request)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class DeviceUnregistered(SendFailed):
    """The push provider says the token no longer reaches an app install: the device record is to be removed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class SmsSender(Protocol):
    name: str

    def send(self, message: OutgoingSms) -> SendResult: ...


class PushSender(Protocol):
    name: str

    def send(self, message: OutgoingPush) -> SendResult: ...
