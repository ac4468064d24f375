"""Africa's Talking SMS (https://developers.africastalking.com/docs/sms/sending/bulk and the form-encoded endpoint at
http://docs.africastalking.com/sms/sending).

- POST https://api.africastalking.com/version1/messaging (https://api.sandbox.africastalking.com/version1/messaging
  for the `sandbox` username), form-encoded `username`, `to`, `message` and, when we have one, `from` (our
  registered sender ID or short code; Africa's Talking picks its default without it). Headers `apiKey` and
  `Accept: application/json` (without Accept the answer is XML).
- The answer is `{"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [{"statusCode":
  101, "number": "+254711XXXYYY", "status": "Success", "cost": "KES 0.8000", "messageId": "ATPid_..."}]}}`. The
  HTTP status says little: a refusal for one recipient is in its `statusCode` (100 Processed, 101 Sent, 102 Queued
  are taken; the 4xx/5xx codes below are not). `status` is not the delivery status: delivery comes later by callback.
- DoNotDisturbRejection (409) comes with HTTP 409 and the usual body, so a 4xx answer's body is read too.
"""

from typing import Any

import httpx

from notifications.senders.base import OutgoingSms, SendFailed, SendResult

LIVE_URL = "https://api.africastalking.com/version1/messaging"
SANDBOX_URL = "https://api.sandbox.africastalking.com/version1/messaging"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)

ACCEPTED_CODES = frozenset({100, 101, 102})  # Processed, Sent, Queued
# statusCode → (name, retryable). Retryable: trying later may succeed with nothing changed about the message.
FAILURE_CODES: dict[int, tuple[str, bool]] = {
    401: ("RiskHold", False),  # held by Africa's Talking's fraud checks: a person has to look at the account
    402: ("InvalidSenderId", False),  # our sender ID is not registered: configuration, not time, fixes it
    403: ("InvalidPhoneNumber", False),
    404: ("UnsupportedNumberType", False),  # e.g. a landline
    405: ("InsufficientBalance", True),  # succeeds once the account is topped up
    406: ("UserInBlacklist", False),  # the subscriber opted out of our sender ID
    407: ("CouldNotRoute", False),  # no route to that network on our account; lasts until the account changes
    # Nigeria only: a promotional sender ID outside the NCC's allowed hours (docs: "outside the allowed time window
    # (8pm-8am)"), so the same message is accepted later in the day.
    409: ("DoNotDisturbRejection", True),
    500: ("InternalServerError", True),
    501: ("GatewayError", True),
    502: ("RejectedByGateway", False),  # the operator's gateway refused this message
}
FAILURE_NAMES = {name.lower(): (code, retryable) for code, (name, retryable) in FAILURE_CODES.items()}


class AfricasTalkingSms:
    name = "africastalking"

    def __init__(self, username: str, api_key: str, sender_id: str = "", client: httpx.Client | None = None):
        self.username = username
        self.api_key = api_key
        self.sender_id = sender_id
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.url = SANDBOX_URL if username == "sandbox" else LIVE_URL

    def send(self, message: OutgoingSms) -> SendResult:
        form = {"username": self.username, "to": message.to, "message": message.text}
        if self.sender_id:
            form["from"] = self.sender_id
        headers = {"apiKey": self.api_key, "Accept": "application/json"}
        try:
            response = self.client.post(self.url, data=form, headers=headers)
        except httpx.TimeoutException as exc:
            raise SendFailed("Africa's Talking did not answer in time.", retryable=True) from exc
        except httpx.TransportError as exc:
            raise SendFailed("Africa's Talking could not be reached.", retryable=True) from exc
        return read_answer(response)


def read_answer(response: httpx.Response) -> SendResult:
    """A send answer → SendResult, or SendFailed saying whether a retry may help. A body in Africa's Talking's shape
    is read whatever the HTTP status (409 DoNotDisturbRejection comes that way); without one the status decides."""
    status = response.status_code
    data = _sms_message_data(response)
    if data is None:
        if status == 401:  # "The supplied authentication is invalid": a wrong apiKey or username
            raise SendFailed("Africa's Talking refused our credentials (HTTP 401).", retryable=False)
        if status >= 500:
            raise SendFailed(f"Africa's Talking failed (HTTP {status}); try again shortly.", retryable=True)
        if 200 <= status < 300:
            # It took the request but we cannot read what it did; a retry is better than a silent loss.
            raise SendFailed(f"Africa's Talking answered with something we cannot read ({status}).", retryable=True)
        raise SendFailed(f"Africa's Talking refused the request (HTTP {status}): {_snippet(response)}", retryable=False)
    recipients = data.get("Recipients")
    recipient = recipients[0] if isinstance(recipients, list) and recipients else None
    if not isinstance(recipient, dict):
        # No recipient at all: the request was refused as a whole and `Message` names why ("InvalidSenderId", ...).
        summary = str(data.get("Message") or "no reason given").strip()
        known = FAILURE_NAMES.get(summary.lower())
        if known is None:
            raise SendFailed(f"Africa's Talking sent to no one: {summary}.", retryable=status >= 500)
        raise SendFailed(f"Africa's Talking sent to no one: {summary} ({known[0]}).", retryable=known[1])
    code = _int(recipient.get("statusCode"))
    if code in ACCEPTED_CODES:
        return SendResult(provider_id=str(recipient.get("messageId") or ""))
    # A code the docs do not list: one in the 5xx range is Africa's Talking's side, anything else is about us.
    name, retryable = FAILURE_CODES.get(code, (str(recipient.get("status") or "unknown status"), code >= 500))
    raise SendFailed(f"Africa's Talking refused the message: {name} ({code}).", retryable=retryable)


def _sms_message_data(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    data = body.get("SMSMessageData") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else None


def _int(value: Any) -> int:
    """`statusCode` as an int (it is a JSON number; a string is read too); 0 when there is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _snippet(response: httpx.Response) -> str:
    return response.text.strip()[:200] or "no reason given"
