"""The WebSocket routes (config.asgi reads them through the WEBSOCKET_ROUTES setting, as Django reads
ROOT_URLCONF: config sits below the apps and names them only by string)."""

from django.urls import path

from notifications.consumers import LiveConsumer

# types-channels wants its own pattern type; Django's path() is what Channels documents
websocket_urlpatterns = [path("ws/", LiveConsumer.as_asgi())]  # type: ignore[arg-type]
