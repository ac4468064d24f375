"""A page for every link a notification carries (`catalog.EVENTS[…].link`), at the path the SPA serves it under
`FRONTEND_URL`. Mounted after the apps' own pages, so a link one of them completes (an invite) opens that page."""

from django.urls import path

from notifications.catalog import EVENTS
from notifications.pages import AppLinkPage, route_of, screen_of

_LINKS = sorted({event.link for event in EVENTS.values() if event.link})

urlpatterns = [
    path(f"{route}{end}", AppLinkPage.as_view(), {"screen": screen_of(link)})
    for link in _LINKS
    for route in [route_of(link)]
    for end in ("", "/")
]
