from celery import shared_task

from accounts import dormancy, services

# The Smile ID sandbox's delivery task lives with the sandbox; named here so that the worker knows it.
from accounts.providers.smileid.sandbox import deliver_smileid_result

__all__ = ["deliver_smileid_result", "flush_expired_tokens", "mark_dormant_accounts", "purge_expired_pin_tokens"]


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> int:
    return services.flush_expired_tokens()


@shared_task(name="accounts.purge_expired_pin_tokens")
def purge_expired_pin_tokens() -> int:
    return services.purge_expired_pin_tokens()


@shared_task(name="accounts.mark_dormant_accounts")
def mark_dormant_accounts() -> int:
    return dormancy.mark_dormant_accounts()
