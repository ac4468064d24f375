"""Which adapter speaks for an identity provider: Smile ID's sandbox with `PROVIDERS_SANDBOX`, else the real one."""

from django.conf import settings

from accounts.providers.smileid.adapter import SmileIdConfig, SmileIdProvider
from accounts.providers.smileid.sandbox import SmileIdSandbox


def get_smileid() -> SmileIdProvider:
    config = SmileIdConfig(
        partner_id=settings.SMILE_ID_PARTNER_ID, api_key=settings.SMILE_ID_API_KEY, base_url=settings.SMILE_ID_BASE_URL
    )
    return SmileIdSandbox(config) if settings.PROVIDERS_SANDBOX else SmileIdProvider(config)
