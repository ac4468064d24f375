from celery import shared_task

from loyalty.channels.whatsapp_sender import deliver_message
from loyalty.jobs import expire_issuances, expire_points, review_tiers, roll_up_yesterday, warn_expiring
from loyalty.services.webhooks import deliver_due, deliver_webhook

__all__ = [
    "deliver_due_webhooks",
    "deliver_webhook",
    "expire_loyalty_issuances",
    "expire_loyalty_points",
    "review_loyalty_tiers",
    "roll_up_loyalty_analytics",
    "send_whatsapp_message",
    "warn_expiring_rewards",
]


@shared_task(name="loyalty.expire_issuances")
def expire_loyalty_issuances() -> int:
    """Safe to run twice: an expired issuance is released once."""
    return expire_issuances()


@shared_task(name="loyalty.expire_points")
def expire_loyalty_points() -> int:
    """Safe to run twice: points already expired are not expired again."""
    return expire_points()


@shared_task(name="loyalty.warn_expiring")
def warn_expiring_rewards() -> int:
    """Safe to run twice: each reward's warning is sent once."""
    return warn_expiring()


@shared_task(name="loyalty.roll_up_analytics")
def roll_up_loyalty_analytics() -> int:
    """Safe to run twice: a day's roll-up replaces its row."""
    return roll_up_yesterday()


@shared_task(name="loyalty.send_whatsapp")
def send_whatsapp_message(tenant_id: str, message_id: int) -> str:
    """Safe to run twice: a message leaves `queued` once, so the second run sends nothing."""
    return deliver_message(tenant_id=tenant_id, message_id=message_id)


@shared_task(name="loyalty.deliver_due_webhooks")
def deliver_due_webhooks() -> int:
    """Safe to run twice: each queued attempt claims its delivery first."""
    return deliver_due()


@shared_task(name="loyalty.review_tiers")
def review_loyalty_tiers() -> int:
    """Safe to run twice: a customer already where their total says is left as they are."""
    return review_tiers()
