from celery import shared_task

from loyalty.jobs import expire_issuances, expire_points, warn_expiring

__all__ = ["expire_loyalty_issuances", "expire_loyalty_points", "warn_expiring_rewards"]


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
