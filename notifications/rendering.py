"""Turning an event and its context into words, per channel and language. The context is text only (stored as
JSON, rendered again when a delivery is retried), so amounts come formatted with `money_text` and dates as ISO
strings that each language writes out its own way."""

import importlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.template.loader import render_to_string

from core.money import CURRENCY_DIGITS
from notifications.catalog import Event

LANGUAGES = ("en", "sw")
DEFAULT_LANGUAGE = "en"
SMS_LIMIT = 459  # three concatenated SMS parts; longer text is cut with an ellipsis

_text_engine = Engine(autoescape=False)


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str
    link: str  # a path in the app


def money_text(amount: Decimal | int | str, currency: str) -> str:
    """ "KES 1,500.00": thousands separated, in the currency's own minor units."""
    digits = CURRENCY_DIGITS.get(currency, 2)
    return f"{currency} {Decimal(str(amount)):,.{digits}f}"


def language_of(code: str) -> str:
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def messages(language: str) -> ModuleType:
    return importlib.import_module(f"notifications.messages.{language_of(language)}")


def _written_out(key: str, value: Any, months: tuple[str, ...]) -> Any:
    if not isinstance(value, str) or not value:
        return value
    try:
        if key.endswith("_date"):
            day = date.fromisoformat(value)
            return f"{day.day} {months[day.month - 1]} {day.year}"
        if key.endswith("_at"):
            moment = datetime.fromisoformat(value)
            return f"{moment.day} {months[moment.month - 1]} {moment.year} {moment:%H:%M}"
    except ValueError:
        return value
    return value


def render(event: Event, *, language: str, context: dict[str, Any], sealed: dict[str, Any] | None = None) -> Rendered:
    """The event's words in `language` (English where the user's language is not one we write). KeyError when the
    language has no text for the event: the catalog test renders them all, so that cannot reach a user."""
    module = messages(language)
    text = module.MESSAGES[event.name]
    values = {key: _written_out(key, value, module.MONTHS) for key, value in {**context, **(sealed or {})}.items()}
    ctx = Context(values, autoescape=False)
    title = _text_engine.from_string(text["title"]).render(ctx).strip()
    body = _text_engine.from_string(text["body"]).render(ctx).strip()
    sms = _text_engine.from_string(text["sms"]).render(ctx).strip() if "sms" in text else f"Pamoja: {title}. {body}"
    if len(sms) > SMS_LIMIT:
        sms = sms[: SMS_LIMIT - 1] + "…"
    link = event.link.format(**{key: str(value) for key, value in context.items()}) if event.link else ""
    return Rendered(title=title, body=body, sms=sms, link=link)


def app_url(link: str) -> str:
    return f"{settings.FRONTEND_URL.rstrip('/')}{link}" if link else ""


def render_email(rendered: Rendered, *, language: str, name: str = "") -> tuple[str, str, str]:
    """Subject, plain text and HTML of an email, the HTML from `notifications/email.html`."""
    words = messages(language).EMAIL
    context = {
        "title": rendered.title,
        "body": rendered.body,
        "url": app_url(rendered.link),
        "name": name,
        "words": words,
        "language": language_of(language),
    }
    subject = f"Pamoja: {rendered.title}"
    return (
        subject,
        render_to_string("notifications/email.txt", context).strip() + "\n",
        render_to_string("notifications/email.html", context),
    )
