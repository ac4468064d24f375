"""`@idempotent`: the Idempotency-Key rules of DESIGN.md for any money-moving API view method, in any app.

    class TransferApi(APIView):
        @idempotent
        def post(self, request): ...

Missing key → 400 `idempotency_key_required`; same key and body → the first answer replayed (with
`Idempotent-Replayed: true`); same key, other body → 422 `idempotency_key_reused`; same key while the first request
still runs → 409 `idempotency_key_in_use`. The check runs before the view body, so before any PIN check.

Only a successful (2xx) answer is recorded, in the same database transaction as its effect. An error answer
stores nothing: no money moved, so the client may retry the same key once it has fixed the cause (a top-up, a
fresh PIN token) and the request runs again.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from django.db import transaction
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from payments.errors import IdempotencyKeyRequiredError
from payments.services.idempotency import claim_idempotency_key, record_idempotent_response

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
MARKER = "idempotent"  # set (True) on every view method `@idempotent` wraps

_View = TypeVar("_View", bound=APIView)
_Params = ParamSpec("_Params")


def request_fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(
    handler: Callable[Concatenate[_View, Request, _Params], Response],
) -> Callable[Concatenate[_View, Request, _Params], Response]:
    @functools.wraps(handler)
    def wrapper(view: _View, request: Request, /, *args: _Params.args, **kwargs: _Params.kwargs) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            raise IdempotencyKeyRequiredError()
        if len(key) > MAX_KEY_LENGTH:
            raise IdempotencyKeyRequiredError(f"The {HEADER} header may be at most {MAX_KEY_LENGTH} characters.")
        fingerprint = request_fingerprint(request)
        user = signed_in_user(request)
        with transaction.atomic():
            replay = claim_idempotency_key(user=user, key=key, fingerprint=fingerprint)
            if replay is not None:
                response = Response(replay.response_body, status=replay.response_status)
                response["Idempotent-Replayed"] = "true"
                return response
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record_idempotent_response(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    method=request.method or "",  # always set on a request a view answers
                    path=request.path,
                    status=response.status_code,
                    body=json.loads(JSONRenderer().render(response.data) or b"null"),
                )
        return response

    setattr(wrapper, MARKER, True)
    return wrapper
