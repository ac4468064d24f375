"""Firebase Cloud Messaging, HTTP v1 (https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send;
errors: https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode and
https://firebase.google.com/docs/cloud-messaging/manage-tokens; the OAuth grant:
https://developers.google.com/identity/protocols/oauth2/service-account#httprest).

- POST https://fcm.googleapis.com/v1/projects/{project_id}/messages:send, `Authorization: Bearer <access token>`,
  JSON `{"message": {"token", "notification": {"title", "body"}, "data": {string: string}, "android": {...}}}`.
  200 answers the Message with its `name`, "projects/{project_id}/messages/{message_id}".
- The access token comes from a service-account JWT grant: an RS256 JWT signed with the account's `private_key`,
  claims iss=client_email, scope=firebase.messaging, aud=token_uri, iat, exp=iat+3600 (the most Google accepts),
  POSTed as `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<jwt>` to the token_uri; the answer
  is `{"access_token", "expires_in", "token_type": "Bearer"}`. Tokens last an hour, so one is kept (per instance and
  per service account in this process) until a minute before it expires, and a 401 drops it and tries once more.
- Errors are `{"error": {"code", "message", "status", "details": [{"@type": ".../google.firebase.fcm.v1.FcmError",
  "errorCode": "UNREGISTERED"}]}}`: the canonical `status` on top, FCM's own code in `details`.
"""

import threading
import time
from typing import Any

import httpx
import jwt

from notifications.senders.base import DeviceUnregistered, OutgoingPush, SendFailed, SendResult

SEND_URL = "https://fcm.googleapis.com/v1/projects/{project_id}/messages:send"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_LIFETIME = 3600  # seconds; Google refuses an assertion whose exp is more than an hour after iat
EXPIRY_MARGIN = 60  # seconds; a token this close to its end is replaced rather than sent and refused
TIMEOUT = httpx.Timeout(15.0, connect=5.0)

RETRYABLE_CODES = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"})
# Our credentials or the APNs/web-push keys in the Firebase console: a person has to act, retrying will not help.
# (The ErrorCode reference gives THIRD_PARTY_AUTH_ERROR as HTTP 401, so it is told apart from an expired token.)
CONFIGURATION_CODES = frozenset({"SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR"})

# client_email → (access token, expires at as time.time()). Shared by every FcmPush in the process, so a worker that
# builds a sender per task does not ask Google for a token each time.
_TOKENS: dict[str, tuple[str, float]] = {}
_TOKENS_LOCK = threading.Lock()


def _now() -> float:
    return time.time()


def clear_token_cache() -> None:
    """Forget every cached access token (tests; a rotated service-account key)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()


class FcmPush:
    name = "fcm"

    def __init__(self, project_id: str, service_account: dict[str, Any], client: httpx.Client | None = None):
        missing = [key for key in ("client_email", "private_key") if not service_account.get(key)]
        if missing:
            raise ValueError(f"The FCM service account has no {', '.join(missing)}.")
        self.project_id = project_id
        self.service_account = service_account
        self.client_email: str = service_account["client_email"]
        self.token_uri: str = service_account.get("token_uri") or DEFAULT_TOKEN_URI
        self.client = client or httpx.Client(timeout=TIMEOUT)
        self.url = SEND_URL.format(project_id=project_id)
        self._token = ""
        self._token_expires_at = 0.0

    # --- sending ---------------------------------------------------------------------------------------------

    def send(self, message: OutgoingPush) -> SendResult:
        body = build_body(message)
        response = self._post(body)
        if response.status_code == 401 and _error_codes(_json(response))[1].isdisjoint(CONFIGURATION_CODES):
            # Our access token was refused (revoked, or expired early): get a new one and try once more.
            self._drop_token()
            response = self._post(body)
        return read_answer(response)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token()}"}
        try:
            return self.client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise SendFailed("FCM did not answer in time.", retryable=True) from exc
        except httpx.TransportError as exc:
            raise SendFailed("FCM could not be reached.", retryable=True) from exc

    # --- the access token ------------------------------------------------------------------------------------

    def access_token(self) -> str:
        """A Bearer token for FCM: this instance's, else the process's for this service account, else a new one."""
        now = _now()
        if self._token and now < self._token_expires_at - EXPIRY_MARGIN:
            return self._token
        with _TOKENS_LOCK:
            cached = _TOKENS.get(self.client_email)
        if cached and now < cached[1] - EXPIRY_MARGIN:
            self._token, self._token_expires_at = cached
            return self._token
        token, expires_at = self._grant(now)
        self._token, self._token_expires_at = token, expires_at
        with _TOKENS_LOCK:
            _TOKENS[self.client_email] = (token, expires_at)
        return token

    def _drop_token(self) -> None:
        with _TOKENS_LOCK:
            cached = _TOKENS.get(self.client_email)
            if cached and cached[0] == self._token:  # not one another sender has fetched since
                del _TOKENS[self.client_email]
        self._token, self._token_expires_at = "", 0.0

    def assertion(self, now: float) -> str:
        """The signed JWT the token endpoint exchanges for an access token."""
        issued_at = int(now)
        claims = {
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": issued_at,
            "exp": issued_at + ASSERTION_LIFETIME,
        }
        headers = (
            {"kid": self.service_account["private_key_id"]} if self.service_account.get("private_key_id") else None
        )
        try:
            return jwt.encode(claims, self.service_account["private_key"], algorithm="RS256", headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise SendFailed(
                "The FCM service account's private_key cannot sign (not an RSA key?).", retryable=False
            ) from exc

    def _grant(self, now: float) -> tuple[str, float]:
        form = {"grant_type": GRANT_TYPE, "assertion": self.assertion(now)}
        try:
            response = self.client.post(self.token_uri, data=form, headers={"Accept": "application/json"})
        except httpx.TimeoutException as exc:
            raise SendFailed("Google's token endpoint did not answer in time.", retryable=True) from exc
        except httpx.TransportError as exc:
            raise SendFailed("Google's token endpoint could not be reached.", retryable=True) from exc
        body = _json(response)
        if response.status_code >= 500 or response.status_code == 429:
            raise SendFailed(f"Google's token endpoint failed ({response.status_code}).", retryable=True)
        if response.status_code != 200:
            # invalid_grant / invalid_client: a disabled or deleted key, a wrong client_email, or our clock is off.
            reason = body.get("error_description") or body.get("error") or "no reason given"
            raise SendFailed(
                f"Google refused the FCM service account ({response.status_code}): {reason}.", retryable=False
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise SendFailed("Google's token endpoint answered without an access_token.", retryable=True)
        try:
            lifetime = float(body.get("expires_in", ASSERTION_LIFETIME))
        except (TypeError, ValueError):
            lifetime = float(ASSERTION_LIFETIME)
        return token, now + lifetime


def build_body(message: OutgoingPush) -> dict[str, Any]:
    """The messages:send body. `data` values must be strings (FCM refuses anything else with INVALID_ARGUMENT), and
    the deep link travels in `data["link"]` because that is where the app reads it when the notification is tapped."""
    data = {str(key): str(value) for key, value in message.data.items()}
    if message.link:
        data["link"] = message.link
    payload: dict[str, Any] = {
        "token": message.token,
        "notification": {"title": message.title, "body": message.body},
        # High priority so Android shows it at once rather than batching it while the phone dozes.
        "android": {"priority": "high"},
    }
    if data:
        payload["data"] = data
    return {"message": payload}


def read_answer(response: httpx.Response) -> SendResult:
    """A messages:send answer → SendResult, or DeviceUnregistered / SendFailed."""
    status = response.status_code
    body = _json(response)
    if status == 200:
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise SendFailed("FCM answered 200 without a message name.", retryable=True)
        return SendResult(provider_id=name)
    canonical, codes, text = _error(body)
    label = f"{text or response.reason_phrase or 'no reason given'} (HTTP {status}, {canonical or 'no status'}"
    label += f", {', '.join(sorted(codes))})" if codes else ")"
    if "UNREGISTERED" in codes or (status == 404 and canonical == "NOT_FOUND"):
        raise DeviceUnregistered(f"FCM no longer knows this device token: {label}.")
    if status == 400 and canonical == "INVALID_ARGUMENT" and _is_about_the_token(body, text, codes):
        # FCM's token guide: an INVALID_ARGUMENT for a token, when the payload is known to be valid, means the
        # token is not a registration token (truncated, corrupted, from another app) and will never work, so the
        # device record goes. Other INVALID_ARGUMENTs (a bad data key, too big a payload) are our message's fault.
        raise DeviceUnregistered(f"FCM says this is not a valid registration token: {label}.")
    if codes & RETRYABLE_CODES or status == 429 or status >= 500:
        raise SendFailed(f"FCM could not take the message now: {label}.", retryable=True)
    if codes & CONFIGURATION_CODES:
        raise SendFailed(f"FCM refused our sender configuration: {label}.", retryable=False)
    if status == 401:
        raise SendFailed(f"FCM refused our access token even after a new one: {label}.", retryable=False)
    raise SendFailed(f"FCM refused the message: {label}.", retryable=False)


def _is_about_the_token(body: dict[str, Any], text: str, codes: set[str]) -> bool:
    """Whether an INVALID_ARGUMENT blames the registration token rather than the rest of the message: FCM's own
    detail (errorCode INVALID_ARGUMENT) with a message about the registration token, or a BadRequest field
    violation on `message.token`."""
    if "INVALID_ARGUMENT" in codes and "registration token" in text.lower():
        return True
    for detail in _details(body):
        for violation in detail.get("fieldViolations") or []:
            if isinstance(violation, dict) and violation.get("field") == "message.token":
                return True
    return False


def _error(body: dict[str, Any]) -> tuple[str, set[str], str]:
    """(canonical status, FCM errorCodes in details, message) from an error answer."""
    canonical, codes = _error_codes(body)
    error = body.get("error")
    text = str(error.get("message") or "") if isinstance(error, dict) else ""
    return canonical, codes, text


def _error_codes(body: dict[str, Any]) -> tuple[str, set[str]]:
    error = body.get("error")
    canonical = str(error.get("status") or "") if isinstance(error, dict) else ""
    codes = {str(detail["errorCode"]) for detail in _details(body) if detail.get("errorCode")}
    return canonical, codes


def _details(body: dict[str, Any]) -> list[dict[str, Any]]:
    error = body.get("error")
    details = error.get("details") if isinstance(error, dict) else None
    return [detail for detail in details if isinstance(detail, dict)] if isinstance(details, list) else []


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
