from celery import shared_task

from accounts import services


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens() -> int:
    return services.flush_expired_tokens()


@shared_task(name="accounts.purge_expired_pin_tokens")
def purge_expired_pin_tokens() -> int:
    return services.purge_expired_pin_tokens()


@shared_task(name="accounts.deliver_smileid_result", autoretry_for=(OSError,), retry_backoff=2, max_retries=5)
def deliver_smileid_result(job_id: str, callback_url: str, code: str, text: str) -> int:
    """The Smile ID sandbox calling our callback, signed, as the real service would."""
    from accounts.providers.smileid import get_smileid
    from config.sandbox_delivery import deliver

    return deliver(callback_url, get_smileid().result_body(job_id=job_id, code=code, text=text), {})


@shared_task(name="accounts.mark_dormant_accounts")
def mark_dormant_accounts() -> int:
    from accounts.dormancy import mark_dormant_accounts as mark

    return mark()
