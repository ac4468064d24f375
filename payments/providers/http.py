"""The one place adapters send HTTP: timeouts and 5xx become ProviderError; 4xx are the adapter's to read."""

from collections.abc import Mapping
from typing import Any

import httpx

from payments.providers.base import ProviderError


def send(
    client: httpx.Client, method: str, url: str, *, read_5xx: bool = False, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    """Send one request; return (status, JSON body). Raise ProviderError when the provider cannot answer.

    `read_5xx` hands a 5xx JSON body back to the adapter (Daraja says "still processing" with HTTP 500).
    """
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError("The payment provider did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise ProviderError("The payment provider could not be reached.") from exc
    if response.status_code >= 500 and not read_5xx:
        raise ProviderError(f"The payment provider failed ({response.status_code}); try again shortly.")
    try:
        body = response.json()
    except ValueError as exc:
        if response.status_code >= 500:
            raise ProviderError(f"The payment provider failed ({response.status_code}); try again shortly.") from exc
        raise ProviderError("The payment provider answered with something that is not JSON.") from exc
    return response.status_code, body if isinstance(body, dict) else {"data": body}


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name, or ""."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")
