"""Every event has its words in every language: rendered here from the catalog's example, so a missing or broken
Swahili (or English) template fails CI rather than a user's message."""

import re

import pytest

from notifications.catalog import EVENTS, Category
from notifications.messages import en, sw
from notifications.rendering import LANGUAGES, messages, render, render_email

FIELDS = {"title", "body", "sms"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_event_renders_in_every_language(name, language):
    event = EVENTS[name]
    text = messages(language).MESSAGES[name]
    assert {"title", "body"} <= set(text) <= FIELDS
    rendered = render(event, language=language, context=event.example)
    assert rendered.title and rendered.body
    assert "{{" not in rendered.body + rendered.title + rendered.sms and "{%" not in rendered.body
    if "sms" in text:
        assert len(rendered.sms) <= 160, f"{name} in {language} takes more than one SMS: {rendered.sms!r}"
    subject, plain, html = render_email(rendered, language=language)
    assert subject.startswith("Pamoja: ") and rendered.body.split("\n")[0][:30] in plain and "<html" in html


def _variables(template: str) -> set[str]:
    return set(re.findall(r"{{\s*(\w+)", template)) | set(re.findall(r"{%\s*if\s+(\w+)", template))


def test_swahili_has_exactly_the_english_events_fields_and_variables():
    assert set(sw.MESSAGES) == set(en.MESSAGES) == set(EVENTS)
    for name, english in en.MESSAGES.items():
        swahili = sw.MESSAGES[name]
        assert set(swahili) == set(english), name
        for field, template in english.items():
            assert _variables(swahili[field]) == _variables(template), f"{name}.{field}"
        assert swahili["title"] != english["title"], f"{name}: the Swahili title is the English one"
    assert set(sw.EMAIL) == set(en.EMAIL) and len(sw.MONTHS) == 12


def test_swahili_is_what_a_swahili_reader_gets():
    event = EVENTS["payout_paid"]
    assert "pochi" in render(event, language="sw", context=event.example).body
    assert (
        render(event, language="xx", context=event.example).title
        == render(event, language="en", context=event.example).title
    )


def test_dates_are_written_out_in_the_language():
    event = EVENTS["contribution_due_soon"]
    assert "5 Dec 2026" in render(event, language="en", context=event.example).body
    assert "5 Des 2026" in render(event, language="sw", context=event.example).body


def test_security_events_are_the_ones_always_sent():
    always = {name for name, event in EVENTS.items() if event.always_sent}
    assert {"new_sign_in", "password_changed", "pin_changed", "two_factor_enabled", "two_factor_disabled"} <= always
    assert all(EVENTS[name].category == Category.SECURITY for name in always)


def test_a_value_with_markup_is_text_in_the_message_and_escaped_in_the_html():
    event = EVENTS["fine_levied"]
    context = {**event.example, "reason": "Late & <b>loud</b>"}
    rendered = render(event, language="en", context=context)
    assert "Late & <b>loud</b>" in rendered.body
    _, plain, html = render_email(rendered, language="en")
    assert "Late & <b>loud</b>" in plain and "&lt;b&gt;loud" in html and "<b>loud" not in html
