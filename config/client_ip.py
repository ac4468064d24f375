from django.conf import settings


def client_ip(request) -> str:
    """The caller's address: behind NUM_PROXIES proxies, the address the outermost trusted proxy saw.

    Per-IP lockout and throttling must not count every user behind the load balancer as one address.
    """
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(num_proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")
