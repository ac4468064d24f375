"""Twilio Programmable Messaging (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource;
errors: https://www.twilio.com/docs/usage/twilios-response and https://www.twilio.com/docs/api/errors).

- POST https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP basic auth (Account SID,
  Auth Token), form-encoded `To`, `Body` and either `From` (our Twilio number or sender ID) or `MessagingServiceSid`
  (the service picks the sender). The `.json` suffix makes the answer JSON; the 2010 API answers XML without it.
- 201 Created answers the Message resource; its `sid` ("SM…") is the id its status callbacks carry. `status` is
  "queued" (or "accepted" through a Messaging Service): delivery is reported later.
- A refusal answers `{"code": 21211, "message": "...", "more_info": "https://www.twilio.com/docs/errors/21211",
  "status": 400}`. 429 (20429, too many requests) and 5xx may pass with time; a 400 is about this message and will
  not; 401 (20003) is our credentials.
"""

from typing import Any

import httpx

from notifications.senders.base import OutgoingSms, SendFailed, SendResult

API_BASE = "https://api.twilio.com/2010-04-01"
TIMEOUT = httpx.Timeout(15.0, connect=5.0)

# What Twilio's codes mean, for a refusal that carries no `message` of its own. The 21xxx codes come with HTTP 400
# and are about the number or the recipient's opt-out, so they are never retried; 20429 comes with 429 and is.
KNOWN_CODES = {
    20003: "authentication failed",
    20429: "too many requests",
    21211: "invalid 'To' number",
    21408: "permission to send to this region is not enabled",
    21606: "the 'From' number cannot send SMS",
    21608: "the 'To' number is unverified (trial account)",
    21610: "the recipient unsubscribed (replied STOP)",
    21612: "the 'To' number is not reachable from this sender",
    21614: "the 'To' number is not a mobile number",
}


class TwilioSms:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        client: httpx.Client | None = None,
    ):
        if not from_number and not messaging_service_sid:
            raise ValueError("Twilio needs a from_number or a messaging_service_sid to send from.")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.url = f"{API_BASE}/Accounts/{account_sid}/Messages.json"

    def send(self, message: OutgoingSms) -> SendResult:
        form = {"To": message.to, "Body": message.text}
        # A Messaging Service chooses the sender from its pool; naming a From too would pin one, so only one is sent.
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.from_number
        try:
            response = self.client.post(
                self.url, data=form, auth=(self.account_sid, self.auth_token), headers={"Accept": "application/json"}
            )
        except httpx.TimeoutException as exc:
            raise SendFailed("Twilio did not answer in time.", retryable=True) from exc
        except httpx.TransportError as exc:
            raise SendFailed("Twilio could not be reached.", retryable=True) from exc
        return read_answer(response)


def read_answer(response: httpx.Response) -> SendResult:
    """A create-Message answer → SendResult, or SendFailed saying whether a retry may help."""
    status = response.status_code
    body = _json(response)
    if 200 <= status < 300:
        sid = body.get("sid")
        if not sid:
            # Created, but without the sid we cannot follow it; better sent twice than not at all.
            raise SendFailed(f"Twilio answered {status} without a message sid.", retryable=True)
        return SendResult(provider_id=str(sid))
    code = body.get("code")
    known = KNOWN_CODES.get(code, "") if isinstance(code, int) else ""
    detail = str(body.get("message") or known or response.reason_phrase or "no reason given")
    label = f"{detail} (HTTP {status}, code {code})" if code else f"{detail} (HTTP {status})"
    if status == 429 or status >= 500:
        raise SendFailed(f"Twilio could not take the message now: {label}.", retryable=True)
    if status == 401:
        raise SendFailed(f"Twilio refused our credentials: {label}.", retryable=False)
    raise SendFailed(f"Twilio refused the message: {label}.", retryable=False)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
