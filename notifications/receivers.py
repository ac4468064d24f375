"""Accounts' announcements (accounts.signals) become messages here."""

from typing import Any

from django.dispatch import receiver

from accounts.models import User
from accounts.signals import address_message, user_message
from notifications.catalog import Channel
from notifications.services import notify, notify_address


@receiver(user_message)
def send_user_message(*, user: User, event: str, context: dict[str, Any], key: str = "", **_: Any) -> None:
    notify(user=user, event=event, context=context, key=key)


@receiver(address_message)
def send_address_message(*, email: str, event: str, context: dict[str, Any], language: str, **_: Any) -> None:
    notify_address(channel=Channel.EMAIL, address=email, event=event, context=context, language=language)
