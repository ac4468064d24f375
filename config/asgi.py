"""ASGI entry point, served by daphne (the `ws` process; the web process serves HTTP through WSGI): HTTP goes to
Django, WebSockets at /ws/ to notifications' live consumer.

No Origin check on the socket: it authenticates with the access JWT (query string or first message), never with a
cookie, so a page on another site cannot borrow a visitor's session through it; and mobile apps send no Origin."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_application = get_asgi_application()  # sets Django up: the consumer's imports need the app registry

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": URLRouter(import_string(settings.WEBSOCKET_ROUTES)),
    }
)
