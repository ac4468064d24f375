"""The admin's messages (config.lazy_messages): made on first use, stored as Django's own middleware stores them."""

from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import empty

from config.lazy_messages import LazyMessageMiddleware


def _through(handler):
    """A request through the session and message middleware to `handler`; the response and the request."""
    request = RequestFactory().get("/admin/")
    seen = {}

    def view(req):
        seen["request"] = req
        return handler(req)

    response = SessionMiddleware(LazyMessageMiddleware(view))(request)
    return response, seen["request"]


def test_a_request_that_never_touches_messages_makes_no_storage():
    response, request = _through(lambda req: HttpResponse("ok"))
    assert request._messages._wrapped is empty  # the lazy storage was never made
    assert "messages" not in response.cookies


def test_a_message_added_is_stored_and_read_on_the_next_request():
    def add(req):
        messages.success(req, "Saved.")
        return HttpResponse("ok")

    response, _ = _through(add)
    assert "messages" in response.cookies  # the fallback storage keeps a short message in a cookie
    request = RequestFactory().get("/admin/")
    request.COOKIES["messages"] = response.cookies["messages"].value
    SessionMiddleware(lambda r: HttpResponse())(request)
    shown = []

    def read(req):
        shown.extend(str(m) for m in messages.get_messages(req))
        return HttpResponse("ok")

    LazyMessageMiddleware(read)(request)
    assert shown == ["Saved."]
