"""The configured sender is the one used: the sandbox by default, the provider's adapter when settings name it."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from notifications.senders import registry
from notifications.senders.africastalking import AfricasTalkingSms
from notifications.senders.fcm import FcmPush
from notifications.senders.sandbox import SandboxPush, SandboxSms
from notifications.senders.twilio import TwilioSms


@pytest.fixture(autouse=True)
def _fresh_senders():
    registry.sms_sender.cache_clear()
    registry.push_sender.cache_clear()
    yield
    registry.sms_sender.cache_clear()
    registry.push_sender.cache_clear()


def test_the_sandboxes_are_the_default():
    assert isinstance(registry.sms_sender(), SandboxSms) and isinstance(registry.push_sender(), SandboxPush)


def test_africas_talking_and_fcm_when_configured(settings):
    settings.SMS_PROVIDER = "africastalking"
    settings.AFRICASTALKING_USERNAME, settings.AFRICASTALKING_API_KEY = "pamoja", "at-key"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.PUSH_PROVIDER, settings.FCM_PROJECT_ID = "fcm", "pamoja-app"
    settings.FCM_SERVICE_ACCOUNT_JSON = json.dumps(
        {"client_email": "push@pamoja-app.iam.gserviceaccount.com", "private_key": pem, "private_key_id": "k1"}
    )
    assert isinstance(registry.sms_sender(), AfricasTalkingSms) and isinstance(registry.push_sender(), FcmPush)
    assert registry.sms_sender() is registry.sms_sender()  # one per process: an FCM token is reused


def test_twilio_when_configured(settings):
    settings.SMS_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    assert isinstance(registry.sms_sender(), TwilioSms)
