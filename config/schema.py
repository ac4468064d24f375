"""OpenAPI: tags per app, and the error responses every operation can give, in the one error shape."""

from drf_spectacular.openapi import AutoSchema

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
    "415": "Unsupported media type (`unsupported_media_type`).",
    "429": "Too many requests (`throttled`); see the `Retry-After` header.",
    "500": "Unexpected failure (`server_error`); `details.request_id` identifies it.",
}

_APP_TAGS = {"accounts", "groups", "contributions", "payments", "billpay", "loyalty", "notifications"}


class PamojaAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        app = self.view.__module__.split(".")[0]
        return [app if app in _APP_TAGS else "platform"]


def _error_response(code: str) -> dict:
    response = {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }
    if code == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    return response


def add_error_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: add the error responses an operation can give, unless it documents its own.

    Views declare their domain errors as `OpenApiResponse(description=...)`; the body schema is added here.
    """
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = _ERROR_SCHEMA
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["429", "500"]
            if operation.get("security") and {} not in operation["security"]:
                codes += ["401", "403"]
            if "requestBody" in operation:
                codes += ["400", "415"]
            if "{" in path:
                codes.append("404")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error_response(code))
            for code, response in responses.items():
                # a view that documents an error by description alone gets the error body filled in
                if code[0] in "45" and "content" not in response:
                    response["content"] = _error_response(code if code in _DESCRIPTIONS else "400")["content"]
    return result
