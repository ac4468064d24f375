"""Which adapter speaks for a provider: the offline sandbox by default, the real one in production."""

from django.conf import settings

from payments.providers.base import PaymentProvider


def real_provider(name: str) -> PaymentProvider:
    from payments.providers.flutterwave import FlutterwaveConfig, FlutterwaveProvider
    from payments.providers.mpesa import MpesaConfig, MpesaProvider
    from payments.providers.paystack import PaystackConfig, PaystackProvider

    if name == "paystack":
        return PaystackProvider(
            PaystackConfig(secret_key=settings.PAYSTACK_SECRET_KEY, base_url=settings.PAYSTACK_BASE_URL)
        )
    if name == "flutterwave":
        return FlutterwaveProvider(
            FlutterwaveConfig(
                secret_key=settings.FLUTTERWAVE_SECRET_KEY,
                secret_hash=settings.FLUTTERWAVE_SECRET_HASH,
                base_url=settings.FLUTTERWAVE_BASE_URL,
            )
        )
    if name == "mpesa":
        return MpesaProvider(
            MpesaConfig(
                consumer_key=settings.MPESA_CONSUMER_KEY,
                consumer_secret=settings.MPESA_CONSUMER_SECRET,
                shortcode=settings.MPESA_SHORTCODE,
                passkey=settings.MPESA_PASSKEY,
                b2c_shortcode=settings.MPESA_B2C_SHORTCODE,
                initiator_name=settings.MPESA_INITIATOR_NAME,
                security_credential=settings.MPESA_SECURITY_CREDENTIAL,
                base_url=settings.MPESA_BASE_URL,
            )
        )
    raise ValueError(f"unknown payment provider {name!r}")


def get_provider(name: str) -> PaymentProvider:
    if settings.PROVIDERS_SANDBOX:
        from payments.providers.sandbox import SandboxProvider

        return SandboxProvider(name=name, real=real_provider(name))
    return real_provider(name)
