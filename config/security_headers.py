"""Two headers Django 5.2 does not set by itself.

- `Cache-Control: no-store` (with Django's other never-cache headers) on every answer to a request that carries an
  Authorization header or comes from a signed-in user (a JWT one or an admin session): no browser or proxy keeps
  a copy of someone's balance or statement.
- `Content-Security-Policy` on every answer that has none: for the API (JSON and anything not HTML) the strictest,
  nothing may load and nothing may frame it; for the HTML pages (the admin, the Swagger UI and Redoc docs, the
  sandbox checkout) only our own files. Their scripts are all files under /static/ (the docs' assets come from
  drf-spectacular-sidecar; Swagger UI's start-up script is served by SpectacularSwaggerSplitView as a file), so
  script-src needs no 'unsafe-inline'. Styles do: the admin, Swagger UI and Redoc write inline styles. Redoc
  starts a web worker from a blob: URL, and the docs' CSS uses data: images.

A small middleware rather than django-csp: two fixed policies chosen by the answer's content type need no new
dependency; Django 6.0's built-in CSP middleware can replace it on upgrade.
"""

from django.utils.cache import add_never_cache_headers

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "HTTP_AUTHORIZATION" in request.META or getattr(getattr(request, "user", None), "is_authenticated", False):
            add_never_cache_headers(response)
        if "Content-Security-Policy" not in response:
            is_page = response.get("Content-Type", "").startswith("text/html")
            response["Content-Security-Policy"] = PAGE_POLICY if is_page else API_POLICY
        return response
