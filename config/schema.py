"""OpenAPI: tags per app, and the error responses every operation can give, in the one error shape.

The schema is checked against the server by the fuzzer in tests/reliability/test_api_fuzz.py: every status code,
content type and body the server can answer must be listed here, and the schema must be no looser than the server.
"""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_COMPONENT = "Error"

_ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error shape of the Pamoja API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string", "example": "Invalid input."},
                "details": {"type": "object", "additionalProperties": {}},
            },
            "required": ["code", "message", "details"],
        }
    },
    "required": ["error"],
}

_DESCRIPTIONS = {
    "400": "Invalid input (`validation_error`, `parse_error`) or a domain rule refused the request.",
    "401": "Missing or invalid credentials (`not_authenticated`).",
    "403": "Not allowed (`permission_denied`).",
    "404": "Not found (`not_found`).",
    "405": "Method not allowed (`method_not_allowed`).",
    "409": "Conflicts with the current state (`conflict` or the operation's own code).",
    "414": (
        "The request line (path and query string) is over the web server's limit, 4094 bytes under gunicorn, "
        "which answers with its own `text/html` page."
    ),
    "415": "Unsupported media type (`unsupported_media_type`).",
    "422": "Well-formed but refused: `idempotency_key_reused` (same key, another body), `insufficient_funds`, ….",
    "429": "Too many requests (`throttled`); see the `Retry-After` header.",
    "500": "Unexpected failure (`server_error`); `details.request_id` identifies it.",
    "503": "A provider or a backing service is unreachable (`provider_unavailable`, `service_unavailable`).",
}

_PAGING = {"page", "page_size"}  # a bad page is 404 ("Invalid page."); a bad page size falls back to the default

_APP_TAGS = {"accounts", "groups", "contributions", "payments", "billpay", "loyalty", "notifications"}


# A wall-clock time as DRF writes it ("18:30:00"): OpenAPI's `format: time` is RFC 3339's full-time, which needs
# an offset that a group's meeting time (local to the group's time zone) does not have.
_TIME_SCHEMA = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"}


class PamojaAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        app = self.view.__module__.split(".")[0]
        return [app if app in _APP_TAGS else "platform"]

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            schema.pop("format")
            schema.update(_TIME_SCHEMA, example="18:30:00")
        elif isinstance(field, serializers.FileField) and schema.get("format") == "uri":
            # without the request in the serializer's context DRF answers the file's path ("/media/…")
            schema["format"] = "uri-reference"
        return schema


def _error_response(code: str) -> dict:
    response = {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }
    if code == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    if code == "414":
        response["content"]["text/html"] = {"schema": {"type": "string"}}
    return response


def _error_codes(path: str, operation: dict) -> list[str]:
    """The errors any operation of this shape can give, whatever the view: authentication, the body or parameters
    it parses, the ids in its path, the page of a list, the Idempotency-Key of a money call."""
    codes = ["429", "500"]
    parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
    if operation.get("security") and {} not in operation["security"]:
        codes += ["401", "403"]
    if "requestBody" in operation:
        codes += ["400", "415"]
    if any(where == "header" or (where == "query" and name not in _PAGING) for where, name in parameters):
        codes.append("400")  # a filter, a date range, a format, a missing Idempotency-Key
    if "{" in path or ("query", "page") in parameters:
        codes.append("404")  # no such object (or not yours), or `?page=` past the end: "Invalid page."
    if parameters or "{" in path:
        codes.append("414")
    if ("header", "Idempotency-Key") in parameters:
        codes += ["409", "422"]  # idempotency_key_in_use, idempotency_key_reused
    return codes


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: add the error responses an operation can give, unless it documents its own.

    Views declare their domain errors as `OpenApiResponse(description=...)`; the body schema is added here.
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, operation):
                responses.setdefault(code, _error_response(code))
            for code, response in responses.items():
                # a view that documents an error by description alone gets the error body filled in
                if code[0] in "45" and "content" not in response:
                    response["content"] = _error_response(code if code in _DESCRIPTIONS else "400")["content"]
    return result
