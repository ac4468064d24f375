"""OpenAPI: tags per app, and the error responses every operation can give, in the one error shape.

The schema is checked against the server by the fuzzer in tests/reliability/test_api_fuzz.py: every status code,
content type and body the server can answer must be listed here, and the schema must be no looser than the server.
"""

import re
from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance, is_serializer
from jsonschema import Draft4Validator
from rest_framework import serializers

from core.errors import DRF_ERROR_CODES, ApplicationError, server_error_body
from core.fields import mobile_number_pattern

ERROR_COMPONENT = "Error"

_ERROR_SCHEMA = {
    "type": "object",
    "description": "The one error shape of the Pamoja API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
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

# a bad page is 404 ("Invalid page."); a page size that is no positive whole number is a 400 (one over the
# maximum is cut to it)
_PAGING = {"page"}

_APP_TAGS = {"accounts", "groups", "contributions", "payments", "billpay", "loyalty", "notifications"}


# A wall-clock time as DRF writes it ("18:30:00"): OpenAPI's `format: time` is RFC 3339's full-time, which needs
# an offset that a group's meeting time (local to the group's time zone) does not have.
_TIME_SCHEMA = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"}


# As input, what DRF's CharField takes: never a NUL character, and (unless blank is allowed) something left once
# whitespace is trimmed; Python's whitespace, which `\s` may not cover in every regex dialect, spelled out. Where
# blank is allowed, spectacular writes `oneOf: [the pattern's string, a string of length 0]`: the pattern must
# then leave "" out, or "" would match both branches (and no branch of a `oneOf` at all).
_SPACE = r"\s\x1c-\x1f\x85"
_NOT_BLANK = rf"^[^\x00]*[^{_SPACE}\x00][^\x00]*$"
_NOT_EMPTY = r"^[^\x00]+$"  # trim_whitespace=False: only "" is blank

# A phone number as input: E.164, and a number `phonenumbers` calls valid. The server takes any country's valid
# number; the schema promises the mobile numbers of the countries Pamoja serves (a regex of every country's
# numbering plan would be megabytes).
_PHONE_REGIONS = ("KE", "NG", "GH", "UG", "TZ", "RW", "ZA", "ZW")
_PHONE_SCHEMA = {"type": "string", "pattern": mobile_number_pattern(*_PHONE_REGIONS), "example": "+254712345678"}


# A URL as input: what Django's URLValidator takes, narrowed to http(s), a host name (labels of up to 63 letters,
# digits and inner hyphens, a top-level domain of two letters or more; no IP address, user or IDN), an optional port
# and a path of printable ASCII. Any URLField's maxLength (at most 253) keeps the host within DNS' limit.
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_URL = rf"https?://{_LABEL}(?:\.{_LABEL})*\.[a-zA-Z](?:[a-zA-Z-]{{0,61}}[a-zA-Z])(?::[0-9]{{1,5}})?(?:[/?#][!-~]*)?"


# Text fields whose format (`email`, an IP address) says what they take, or whose own pattern does.
_FORMATTED_TEXT = (serializers.EmailField, serializers.IPAddressField, serializers.RegexField, serializers.SlugField)


def _decimal_pattern(field: serializers.DecimalField) -> str | None:
    """A DecimalField from 0 to 10**k: spectacular's own pattern admits "", "-" and values out of range."""
    low, high = field.min_value, field.max_value
    if low != 0 or high is None or high <= 0 or high != 10 ** (len(str(int(high))) - 1):
        return None
    k, places = len(str(int(high))) - 1, field.decimal_places
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    top = rf"{int(high)}(\.0{{1,{places}}})?" if places else f"{int(high)}"
    return rf"^({top}|[0-9]{{1,{k}}}{fraction})$"


class PamojaAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        """The view's app; a view may name another (`openapi_tag`: a group's money endpoints are listed with
        the group's, where the SPA and generated clients have always found them)."""
        app = getattr(self.view, "openapi_tag", None) or self.view.__module__.split(".")[0]
        return [app if app in _APP_TAGS else "platform"]

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        rules = _input_rules(serializer) if direction == "request" else {}
        if rules:
            schema[_RULES] = rules  # set in place by `apply_input_rules`, after the enum components are made
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        """A body is required when the serializer's own rules refuse an empty one (`{}`: "give a role or a
        status"), as when one of its fields is."""
        schema, required = super()._get_request_for_media_type(serializer, direction)
        if schema is not None and not required and is_serializer(serializer):
            rules = _input_rules(serializer)
            required = bool(rules) and not Draft4Validator(rules).is_valid({})
        return schema, required

    def _get_request_body(self, direction="request"):
        """A view that takes no request without a body says so: `request_body_required = True`."""
        body = super()._get_request_body(direction)
        if body is not None and getattr(self.view, "request_body_required", False):
            body["required"] = True
        return body

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            schema.pop("format")
            schema.update(_TIME_SCHEMA, example="18:30:00")
        elif isinstance(field, serializers.FileField) and schema.get("format") == "uri":
            # without the request in the serializer's context DRF answers the file's path ("/media/…")
            schema["format"] = "uri-reference"
        if direction == "request":
            self._tighten_input(field, schema)
        return schema

    @staticmethod
    def _tighten_input(field, schema: dict) -> None:
        """What the server refuses that spectacular's schema for the field would let through. A field of an app's
        own may say so itself: `input_pattern` (a regex) or `input_enum` (the values it takes), or any other JSON
        schema keywords in `input_schema` (a dict)."""
        if getattr(field, "input_pattern", None):
            schema["pattern"] = field.input_pattern
        elif getattr(field, "input_enum", None):
            schema["enum"] = field.input_enum
            schema.pop("minLength", None)
        elif isinstance(field, serializers.DecimalField):
            pattern = _decimal_pattern(field)
            if pattern:
                schema["pattern"] = pattern
        elif isinstance(field, serializers.URLField):
            schema["pattern"] = f"^{_URL}$"
        elif isinstance(field, serializers.CharField) and not isinstance(field, _FORMATTED_TEXT):
            if field.field_name == "phone_number":
                schema.update(_PHONE_SCHEMA)
                schema.pop("minLength", None)
            elif "pattern" not in schema:
                if field.allow_blank and not getattr(field, "empty_is_absent", False):
                    schema["pattern"] = _NOT_EMPTY  # spectacular then adds "" as the other branch of a `oneOf`
                else:
                    schema["pattern"] = _NOT_BLANK if field.trim_whitespace else _NOT_EMPTY
        schema.update(getattr(field, "input_schema", None) or {})


_RULES = "x-input-rules"


def _input_rules(serializer) -> dict:
    """What a request serializer's `validate` checks across its fields, as JSON schema keywords for its request
    component (`anyOf` branches on a currency, a provider, a kind, ...): its `input_rules()`, if it has one."""
    serializer = force_instance(serializer)
    rules = getattr(serializer, "input_rules", None)
    return rules() if callable(rules) else {}


def _error_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }
    if code == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    if code == "414":
        response["content"]["text/html"] = {"schema": {"type": "string"}}
    return response


# The code an error response's example shows when its description names none of that status.
_DEFAULT_CODES = {
    "400": "validation_error",
    "401": "not_authenticated",
    "403": "permission_denied",
    "404": "not_found",
    "405": "method_not_allowed",
    "406": "not_acceptable",
    "409": "conflict",
    "415": "unsupported_media_type",
    "429": "throttled",
    "500": "server_error",
    "503": "service_unavailable",
}
_EXAMPLE_DETAILS: dict[str, dict[str, Any]] = {
    "validation_error": {"field_name": ["This field is required."]},
    "throttled": {"retry_after": 42},
    "account_locked": {"retry_after": 900},
    "server_error": {"request_id": "3f2c9a7e5b1d4c68"},
}
_NAMED_CODE = re.compile(r"`([a-z][a-z0-9_]*)`")


def error_catalog() -> dict[str, tuple[set[str], str]]:
    """Every error code the server answers with: its HTTP statuses and a message it comes with. The domain errors
    (`ApplicationError` subclasses, registered as their apps' views are imported), DRF's and the 500."""
    found: dict[str, tuple[set[str], str]] = {}

    def add(code: str, status: int, message: str) -> None:
        found.setdefault(code, (set(), message))[0].add(str(status))

    stack = list(ApplicationError.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        add(cls.code, cls.status_code, cls.message)
    for exc, code in DRF_ERROR_CODES.items():
        add(code, exc.status_code, str(exc.default_detail))
    add("server_error", 500, server_error_body()["error"]["message"])
    return found


def error_example(status: str, description: str, catalog: dict[str, tuple[set[str], str]]) -> dict | None:
    """The body an error response's example shows: the first code its description names that comes with this status
    (`already_member`, `group_full` …), else the status' usual code; None where no JSON error has it (414)."""
    named = [code for code in _NAMED_CODE.findall(description or "") if status in catalog.get(code, ((), ""))[0]]
    code = named[0] if named else _DEFAULT_CODES.get(status)
    if code is None or code not in catalog:
        return None
    return {"error": {"code": code, "message": catalog[code][1], "details": _EXAMPLE_DETAILS.get(code, {})}}


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


def apply_input_rules(result: dict, generator, request, public) -> dict:
    """Postprocessing hook, after `postprocess_schema_enums`: a request component's `input_rules` join its schema.
    They are kept aside until then, so that the enum hook, which would make a component of every `enum` it finds
    in an `anyOf` branch (`provider: [mpesa]`), leaves them as they are."""
    for schema in result.get("components", {}).get("schemas", {}).values():
        schema.update(schema.pop(_RULES, {}))
    return result


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: add the error responses an operation can give, unless it documents its own.

    Views declare their domain errors as `OpenApiResponse(description=...)`; the body schema is added here.
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    catalog = error_catalog()
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True  # `?start=` is no filter, as Django forms read it
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, operation):
                responses.setdefault(code, _error_response(code))
            for code, response in responses.items():
                # a view that documents an error by description alone gets the error body filled in
                if code[0] in "45" and "content" not in response:
                    response["content"] = _error_response(code if code in _DESCRIPTIONS else "400")["content"]
                media = response.get("content", {}).get("application/json") if code[0] in "45" else None
                if media is not None and "example" not in media:
                    example = error_example(code, response.get("description", ""), catalog)
                    if example is not None:
                        media["example"] = example  # the real code, not the shape's generic one
    return result
