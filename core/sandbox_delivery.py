"""How every vendor's offline sandbox (payments', Smile ID's) calls our own webhook endpoints: over HTTP to
SITE_URL, like the real provider, or in-process through Django's test client (SANDBOX_DELIVERY=inprocess, for
tests where no server listens)."""

import httpx
from django.conf import settings


def deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url`; return the HTTP status our endpoint answered."""
    headers = {"Content-Type": "application/json", **headers}
    if settings.SANDBOX_DELIVERY == "inprocess":
        from django.test import Client

        content_type = headers.pop("Content-Type")
        response = Client().post(
            url.removeprefix(settings.SITE_URL), data=body, content_type=content_type, headers=headers
        )
        return response.status_code
    return httpx.post(url, content=body, headers=headers, timeout=10).status_code
