"""No password, token, PIN, OTP or card number reaches a log line."""

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from config.logging import JsonFormatter, RedactSecretsFilter, RequestContextFilter, redact_text
from config.request_context import request_id_var

SECRETS = [
    "hunter2-pass",
    "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJlLXZhbHVl",
    "482913",  # an OTP
    "4084084084084081",  # a card number (Luhn-valid)
    "9731",  # a PIN
    "sk_live_abcdef123456",
    "22211133344",  # a BVN
]


@pytest.fixture
def log_output():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def without_timestamps(stream) -> str:
    """The log text minus its clock, whose digits could spell a four-digit secret by chance."""
    return "\n".join(json.dumps({k: v for k, v in line.items() if k != "time"}) for line in lines(stream))


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_secrets_in_extra_fields_args_and_text_are_redacted(log_output):
    logger, stream = log_output
    token = request_id_var.set("req-log-1")
    try:
        logger.info(
            "login attempt password=%s with Authorization: Bearer %s",
            SECRETS[0],
            SECRETS[1],
            extra={
                "otp": SECRETS[2],
                "payload": {"card_number": SECRETS[3], "pin": SECRETS[4], "amount": "5000.00"},
                "headers": {"Authorization": f"Bearer {SECRETS[1]}", "X-Pin-Token": "pt_abc"},
                "secret_key": SECRETS[5],
                "kyc": {"bvn": SECRETS[6], "country": "NG"},
                "note": f"card {SECRETS[3][:4]} {SECRETS[3][4:8]} {SECRETS[3][8:12]} {SECRETS[3][12:]} charged",
            },
        )
    finally:
        request_id_var.reset(token)
    raw = without_timestamps(stream)
    for secret in [*SECRETS, "pt_abc", "4084 0840 8408 4081"]:
        assert secret not in raw, secret
    (line,) = lines(stream)
    assert line["payload"]["amount"] == "5000.00"
    assert line["kyc"]["country"] == "NG"
    assert line["request_id"] == "req-log-1"
    assert line["level"] == "INFO"


def test_traceback_text_is_redacted(log_output):
    logger, stream = log_output
    try:
        raise ValueError(f"could not charge, token={SECRETS[5]}")
    except ValueError:
        logger.exception("charge failed")
    raw = without_timestamps(stream)
    assert SECRETS[5] not in raw
    assert "Traceback" in lines(stream)[0]["traceback"]


def test_ordinary_numbers_survive():
    text = "order 1234567890123 for 5000.00 KES, phone +254712345678"
    assert redact_text(text) == text


def test_json_bodies_in_text_are_redacted():
    text = '{"email": "a@b.co", "password": "s3cret!", "pin": "4321"}'
    cleaned = redact_text(text)
    assert "s3cret!" not in cleaned and "4321" not in cleaned and "a@b.co" in cleaned


# --- the shortcut for text that holds no secret (issue 20) -------------------------------------------------------

SECRET_SHAPES = [
    "password=hunter2",
    'PIN: "9731"',
    "Access = abc",
    "api_key=sk_live_1",
    "Authorization: Basic dXNlcjpwdw==",
    "bearer abc.def",
    "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2ln",
    "4084 0840 8408 4081",
    "4084-0840-8408-4081",
]


def _full_patterns(text: str) -> str:
    """redact_text without its shortcut: what the patterns alone make of `text`."""
    from config import logging as log_config

    for pattern, replacement in log_config._TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return log_config._CARD_CANDIDATE.sub(log_config._mask_card, text)


@pytest.mark.parametrize("secret", SECRET_SHAPES)
def test_the_shortcut_never_skips_a_secret(secret):
    assert redact_text(secret) == _full_patterns(secret) != secret
    for text in (f"GET /api/v1/x/?{secret} 200", secret.upper(), f"ok {secret.swapcase()} ok"):
        assert redact_text(text) == _full_patterns(text)


def test_access_lines_pass_unchanged():
    for text in ("GET /api/v1/health/ 200", "POST /api/v1/wallet/transfer/ 201", "GET /api/v1/groups/42/ 404"):
        assert redact_text(text) == text


_PIECES = st.sampled_from(
    ["password", "Passwd", "secret", "TOKEN", "access", "refresh", "pin", "otp", "cvv", "cvc", "card_number",
     "apikey", "api_key", "Bearer", "basic", "eyJ", "=", ":", '"', " ", "-", "4", "0", "8", "1", "abc",
     "\u017f", "\u212a", "\u0664", "/", "."]  # long s, Kelvin sign, Arabic-Indic four: Unicode folds and digits
)  # fmt: skip


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=24).map("".join))
def test_redact_text_equals_the_patterns_alone(text):
    """The shortcut (no keyword, no 13 digits, ASCII) only ever skips text the patterns would leave as it is."""
    assert redact_text(text) == _full_patterns(text)
