"""Django's messages for the admin, made only when something adds or reads one.

Django's `MessageMiddleware` builds its storage (a cookie store and a session store) on every request; only admin
pages use it, and the API's requests paid for it on each call (about 8 % of a `GET health/` in process). Here the
storage is made on first use; a request that never touched it has nothing to store, as Django's own `update` would
find (nothing added, nothing read)."""

from typing import Any

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> Any:
        storage = getattr(request, "_messages", None)
        if isinstance(storage, SimpleLazyObject) and storage._wrapped is empty:  # type: ignore[attr-defined]
            return response
        return super().process_response(request, response)
