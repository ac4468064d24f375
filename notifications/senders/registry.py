"""The configured sender for each channel (settings SMS_PROVIDER and PUSH_PROVIDER), built once per process so an
FCM access token is reused across deliveries."""

import json
from functools import cache

import httpx
from django.conf import settings

from notifications.senders.africastalking import AfricasTalkingSms
from notifications.senders.base import PushSender, SmsSender
from notifications.senders.fcm import FcmPush
from notifications.senders.sandbox import SandboxPush, SandboxSms
from notifications.senders.twilio import TwilioSms

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@cache
def sms_sender() -> SmsSender:
    if settings.SMS_PROVIDER == "africastalking":
        return AfricasTalkingSms(
            settings.AFRICASTALKING_USERNAME,
            settings.AFRICASTALKING_API_KEY,
            sender_id=settings.AFRICASTALKING_SENDER_ID,
            client=httpx.Client(timeout=TIMEOUT),
        )
    if settings.SMS_PROVIDER == "twilio":
        return TwilioSms(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            from_number=settings.TWILIO_FROM_NUMBER,
            messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
            client=httpx.Client(timeout=TIMEOUT),
        )
    return SandboxSms()


@cache
def push_sender() -> PushSender:
    if settings.PUSH_PROVIDER == "fcm":
        return FcmPush(
            settings.FCM_PROJECT_ID,
            json.loads(settings.FCM_SERVICE_ACCOUNT_JSON),
            client=httpx.Client(timeout=TIMEOUT),
        )
    return SandboxPush()
