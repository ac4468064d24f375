"""JSON log lines, request context on each, and a filter that keeps secrets out of every line."""

import functools
import logging
import re
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from config.request_context import request_id_var, user_id_var

REDACTED = "[REDACTED]"

# Keys whose values are never written, wherever they appear (extra=, dict args, nested payloads).
SENSITIVE_KEY = re.compile(
    r"password|passwd|passphrase|secret|token|^access$|^refresh$|authorization|cookie|api_?key|signature|"
    r"(^|_)pin($|_)|(^|_)t?otp($|_)|recovery_code|^code$|cvv|cvc|card_?number|^pan$|^card$|"
    r"(^|_)bvn($|_)|(^|_)nin($|_)|national_id|id_number",
    re.IGNORECASE,
)

# Secrets that hide inside free text.
_TEXT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # key=value / "key": "value" pairs with a sensitive key
    (
        re.compile(
            r"(?i)(\"?(?:password|passwd|secret|token|access|refresh|pin|otp|cvv|cvc|card_?number|api_?key)\"?"
            r"\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,&}]+)"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # JSON web tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
]
_CARD_CANDIDATE = re.compile(r"\b(?:\d[ -]?){13,19}\b")
# Words and shapes every pattern above needs (their keywords, `eyJ`, a run of 13 digits): ASCII text with none of
# them (most text: every access-log line and request id) skips the patterns. Other text always goes through them
# (Unicode case folding and digits are theirs to judge).
_SECRET_WORDS = (
    "passw", "secret", "token", "access", "refresh", "pin", "otp", "cvv", "cvc", "card", "apikey", "api_key",
    "bearer", "basic", "eyj",
)  # fmt: skip
_WITHOUT_DIGITS = str.maketrans("", "", "0123456789")
_THIRTEEN_DIGITS = re.compile(r"(?:[0-9][ -]?){13}")  # ASCII: the card pattern's shortest run


def _may_hold_secret(text: str) -> bool:
    if not text.isascii():
        return True
    lowered = text.lower()
    if any(word in lowered for word in _SECRET_WORDS):
        return True
    # a run of 13 digits, looked for only where there are 13 digits at all (a request id's hex has about 20)
    return len(text) - len(text.translate(_WITHOUT_DIGITS)) >= 13 and _THIRTEEN_DIGITS.search(text) is not None


_PLAIN = (int, float, bool, type(None))


@functools.lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """Whether a key's value is never written. Cached: the keys are few (field names), the pattern is slow."""
    return bool(SENSITIVE_KEY.search(key))


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if 13 <= len(digits) <= 19 and _luhn_valid(digits):
        return REDACTED
    return match.group(0)


def redact_text(text: str) -> str:
    if not _may_hold_secret(text):
        return text
    for pattern, replacement in _TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return _CARD_CANDIDATE.sub(_mask_card, text)


def redact(value: Any) -> Any:
    """Return `value` with sensitive keys' values and secret-looking text replaced."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and is_sensitive_key(k) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactSecretsFilter(logging.Filter):
    """Redacts the message, its arguments and `extra=` fields; the formatter redacts tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key in set(vars(record)) - _RECORD_ATTRS:
            if is_sensitive_key(key):
                setattr(record, key, REDACTED)
            else:
                setattr(record, key, redact(getattr(record, key)))
        return True


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time, level, logger, message, request context, and any `extra=` fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "exc_info": "traceback"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatException(self, ei) -> str:
        return redact_text(super().formatException(ei))  # type: ignore[arg-type]  # a list only with exc_info_as_array
