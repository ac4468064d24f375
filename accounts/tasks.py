from celery import shared_task

from accounts import services


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> int:
    return services.flush_expired_tokens()


@shared_task(name="accounts.purge_expired_pin_tokens")
def purge_expired_pin_tokens() -> int:
    return services.purge_expired_pin_tokens()
