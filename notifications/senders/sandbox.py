"""Senders that send nothing: for development, demos and tests. Each message is logged at INFO on
"pamoja.notifications" and kept in `SENT` (the last 500), so a test or a developer can see what would have gone out.

Two kinds of address fail on purpose, so the delivery task's failure paths can be exercised without a provider:
- SMS to a number ending in "0000" (e.g. +254700000000) fails with SendFailed(retryable=True), as a provider outage
  would, and is not kept in SENT.
- Push to a token starting with "unregistered-" fails with DeviceUnregistered, as FCM's UNREGISTERED would, and is
  not kept in SENT.
"""

import logging
from collections import deque
from uuid import uuid4

from notifications.senders.base import DeviceUnregistered, OutgoingPush, OutgoingSms, SendFailed, SendResult

logger = logging.getLogger("pamoja.notifications")

# What would have been sent, oldest first. Bounded so a long-running dev server does not grow without end.
SENT: deque[OutgoingSms | OutgoingPush] = deque(maxlen=500)

FAILING_NUMBER_SUFFIX = "0000"
UNREGISTERED_TOKEN_PREFIX = "unregistered-"  # noqa: S105 (a device-token prefix, not a secret)


def _sandbox_id() -> str:
    return f"sandbox-{uuid4().hex}"


class SandboxSms:
    """Logs the SMS instead of sending it. A number ending in "0000" fails with SendFailed(retryable=True), so
    retries can be exercised in the sandbox."""

    name = "sandbox"

    def send(self, message: OutgoingSms) -> SendResult:
        if message.to.endswith(FAILING_NUMBER_SUFFIX):
            logger.info("Sandbox SMS to %s failed on purpose (the number ends in 0000).", message.to)
            raise SendFailed(
                f"Sandbox: numbers ending in {FAILING_NUMBER_SUFFIX} fail so that retries can be tried.", retryable=True
            )
        provider_id = _sandbox_id()
        SENT.append(message)
        logger.info("Sandbox SMS %s to %s: %s", provider_id, message.to, message.text)
        return SendResult(provider_id=provider_id)


class SandboxPush:
    """Logs the push instead of sending it. A token starting with "unregistered-" fails with DeviceUnregistered, so
    removing a device's record can be exercised in the sandbox."""

    name = "sandbox"

    def send(self, message: OutgoingPush) -> SendResult:
        if message.token.startswith(UNREGISTERED_TOKEN_PREFIX):
            logger.info("Sandbox push to %s failed on purpose (an unregistered- token).", message.token)
            raise DeviceUnregistered(f"Sandbox: tokens starting with {UNREGISTERED_TOKEN_PREFIX!r} are unregistered.")
        provider_id = _sandbox_id()
        SENT.append(message)
        logger.info(
            "Sandbox push %s to %s: %s — %s (link %s, data %s)",
            provider_id,
            message.token,
            message.title,
            message.body,
            message.link or "none",
            message.data,
        )
        return SendResult(provider_id=provider_id)
