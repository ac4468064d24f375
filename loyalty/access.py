"""Who is calling a tenant's endpoints, and what they may do there.

Every request to `loyalty/tenants/{tenant_id}/…` runs in one database transaction pointed at that tenant
(`loyalty.tenancy`), rolled back when the answer is an error. The caller is either a Pamoja user signed in with a
JWT, who must be the tenant's staff (anyone else gets 404: another tenant's objects are never even confirmed to
exist), or an integrator's API key of that tenant signing the request (`ApiKeyAuthentication`). A viewer reads;
writing needs a manager or admin; staff and API keys need an admin; an API key reaches only what an integrator's
till or app needs (`api_key_allowed`)."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.authentication import SessionAwareJWTAuthentication
from accounts.signed_in import signed_in_user
from loyalty.errors import RoleRequiredError, TenantNotFoundError
from loyalty.models import ApiKey, StaffRole, Tenant
from loyalty.selectors import get_tenant, staff_role
from loyalty.services.tenants import authenticate_api_key
from loyalty.tenancy import enter_tenant

API_KEY_HEADER = "X-Api-Key"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"


@dataclass(frozen=True)
class ApiKeyUser:
    """request.user for a signed API-key request: authenticated, but no Pamoja user."""

    key: ApiKey

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False

    @property
    def pk(self) -> str:  # what throttles count by
        return f"apikey:{self.key.key_id}"


class ApiKeyAuthentication(BaseAuthentication):
    """`X-Api-Key`, `X-Timestamp` (unix seconds, within five minutes) and `X-Signature` (hex HMAC-SHA256 of
    `<timestamp>.<METHOD>.<path>.<raw body>` with the key's secret). Only on a tenant's URLs, for that tenant."""

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        key_id = request.headers.get(API_KEY_HEADER, "")
        if not key_id:
            return None
        tenant_id = (request.parser_context or {}).get("kwargs", {}).get("tenant_id")
        key = (
            authenticate_api_key(
                tenant_id=tenant_id,
                key_id=key_id,
                timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                signature=request.headers.get(SIGNATURE_HEADER, ""),
                method=request.method or "",
                path=request.path,
                body=request._request.body,  # the raw bytes signed; Django keeps them for the parser
            )
            if tenant_id
            else None
        )
        if key is None:
            raise AuthenticationFailed("The API key, its signature or its timestamp is not valid.")
        return ApiKeyUser(key), key

    def authenticate_header(self, request: Request) -> str:
        return "HMAC-SHA256"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.access.ApiKeyAuthentication"
    name = "loyaltyApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": (
                f"A tenant's API key id; with it `{TIMESTAMP_HEADER}` (unix seconds, within five minutes) and "
                f"`{SIGNATURE_HEADER}`: hex HMAC-SHA256, keyed with the key's secret, of "
                "`<timestamp>.<METHOD>.<path>.` followed by the raw body."
            ),
        }


@dataclass(frozen=True)
class Caller:
    role: str  # a StaffRole, or "api_key"
    actor: str  # for the record: "user:<id>" or "api_key:<key id>"
    user: Any = None  # the signed-in User, None for an API key


class TenantApi(APIView):
    """Base of every view under `loyalty/tenants/{tenant_id}/`."""

    authentication_classes = (ApiKeyAuthentication, SessionAwareJWTAuthentication)
    read_roles: frozenset[str] = frozenset(StaffRole.values)
    write_roles: frozenset[str] = frozenset({StaffRole.ADMIN, StaffRole.MANAGER})
    api_key_allowed = False
    openapi_tag = "loyalty"
    tenant: Tenant
    caller: Caller

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with transaction.atomic():
            enter_tenant(kwargs.get("tenant_id"))
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)  # DRF answered the error: nothing the request did stays
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        user = request.user
        if isinstance(user, ApiKeyUser):
            if not self.api_key_allowed:
                raise RoleRequiredError("API keys cannot use this endpoint; sign in as the tenant's staff.")
            self.tenant = get_tenant(tenant_id=kwargs["tenant_id"])
            self.caller = Caller(role="api_key", actor=f"api_key:{user.key.key_id}")
            return
        enter_tenant(kwargs["tenant_id"], user_id=user.pk)
        self.tenant = get_tenant(tenant_id=kwargs["tenant_id"])
        role = staff_role(tenant=self.tenant, user_id=signed_in_user(request).pk)
        if role is None:
            raise TenantNotFoundError(details={"tenant": str(kwargs["tenant_id"])})
        allowed = self.read_roles if request.method in SAFE_METHODS else self.write_roles
        if role not in allowed:
            raise RoleRequiredError(details={"role": role})
        self.caller = Caller(role=role, actor=f"user:{user.pk}", user=user)


class AdminTenantApi(TenantApi):
    """Base of the views that manage staff and API keys: an admin reads and writes them."""

    read_roles: frozenset[str] = frozenset({StaffRole.ADMIN})
    write_roles: frozenset[str] = frozenset({StaffRole.ADMIN})
