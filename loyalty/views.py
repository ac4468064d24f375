"""Merchant loyalty over REST, under `loyalty/tenants/{tenant_id}/`. Thin: the tenant and the caller's role are
settled by `loyalty.access.TenantApi`; services write, selectors read."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from core.fields import MAX_ROW_ID
from loyalty import selectors
from loyalty.access import AdminTenantApi, TenantApi
from loyalty.models import Channel, Customer
from loyalty.serializers import (
    ApiKeyInputSerializer,
    ApiKeySerializer,
    CustomerChangeSerializer,
    CustomerInputSerializer,
    CustomerQuerySerializer,
    CustomerSerializer,
    NewApiKeySerializer,
    StaffChangeSerializer,
    StaffInputSerializer,
    StaffSerializer,
    TenantChangeSerializer,
    TenantInputSerializer,
    TenantSerializer,
)
from loyalty.services import customers, tenants
from loyalty.tenancy import enter_tenant

NOT_FOUND = OpenApiResponse(description="`not_found`: no such object in this tenant (or no such tenant for you).")
ROLE = OpenApiResponse(description="`permission_denied`: your role (or an API key) may not do this.")
TENANT_ERRORS = {403: ROLE, 404: NOT_FOUND}


def row_id(value: int) -> int:
    return value if value <= MAX_ROW_ID else 0  # no such row (and SQLite cannot compare a larger one)


class TenantListApi(APIView):
    openapi_tag = "loyalty"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400:
                transaction.set_rollback(True)
        return response

    @extend_schema(summary="The loyalty tenants you are staff of", responses={200: TenantSerializer(many=True)})
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        enter_tenant(None, user_id=user.pk)
        roles = dict(selectors.staff_roles_of(user_id=user.pk))
        found = selectors.tenants_of(user_id=user.pk).order_by("name", "pk")
        return Response(TenantSerializer(found, many=True, context={"roles": roles}).data)

    @extend_schema(
        summary="Create a loyalty tenant (a business); you become its admin",
        request=TenantInputSerializer,
        responses={201: TenantSerializer},
    )
    def post(self, request: Request) -> Response:
        data = TenantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        tenant = tenants.create_tenant(creator=user, **data.validated_data)
        return Response(
            TenantSerializer(tenant, context={"roles": {tenant.pk: "admin"}}).data, status=status.HTTP_201_CREATED
        )


class TenantDetailApi(TenantApi):
    write_roles = frozenset({"admin"})

    @extend_schema(summary="A tenant's settings", responses={200: TenantSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any) -> Response:
        roles = {self.tenant.pk: self.caller.role}
        return Response(TenantSerializer(self.tenant, context={"roles": roles}).data)

    @extend_schema(
        summary="Change a tenant's settings (admin; the currency stays)",
        request=TenantChangeSerializer,
        responses={200: TenantSerializer, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any) -> Response:
        data = TenantChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = tenants.update_tenant(tenant=self.tenant, **data.validated_data)
        return Response(TenantSerializer(tenant, context={"roles": {tenant.pk: self.caller.role}}).data)


class StaffListApi(AdminTenantApi):
    @extend_schema(summary="The tenant's staff (admin)", responses={200: StaffSerializer(many=True), **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any) -> Response:
        return Response(StaffSerializer(selectors.staff_of(tenant=self.tenant), many=True).data)

    @extend_schema(
        summary="Give a Pamoja user a role in the tenant (admin)",
        request=StaffInputSerializer,
        responses={201: StaffSerializer, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = StaffInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = tenants.add_staff(tenant=self.tenant, **data.validated_data)
        return Response(StaffSerializer(member).data, status=status.HTTP_201_CREATED)


class StaffDetailApi(AdminTenantApi):
    @extend_schema(
        summary="Change a staff member's role (admin; a tenant keeps one admin)",
        request=StaffChangeSerializer,
        responses={200: StaffSerializer, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any, staff_id: int) -> Response:
        data = StaffChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        staff_id = row_id(staff_id)
        role = data.validated_data.get("role")
        member = (
            tenants.change_staff_role(tenant=self.tenant, staff_id=staff_id, role=role)
            if role
            else selectors.staff_member(tenant=self.tenant, staff_id=staff_id)
        )
        return Response(StaffSerializer(member).data)

    @extend_schema(summary="Remove a staff member (admin)", request=None, responses={204: None, **TENANT_ERRORS})
    def delete(self, request: Request, tenant_id: Any, staff_id: int) -> Response:
        tenants.remove_staff(tenant=self.tenant, staff_id=row_id(staff_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyListApi(AdminTenantApi):
    @extend_schema(
        summary="The tenant's API keys, without their secrets (admin)",
        responses={200: ApiKeySerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, tenant_id: Any) -> Response:
        return Response(ApiKeySerializer(selectors.api_keys_of(tenant=self.tenant), many=True).data)

    @extend_schema(
        summary="Create an API key; its secret is shown once (admin; at most two active)",
        request=ApiKeyInputSerializer,
        responses={
            201: NewApiKeySerializer,
            **TENANT_ERRORS,
            409: OpenApiResponse(description="`conflict`: two keys are active already; revoke one first."),
        },
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = ApiKeyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = tenants.create_api_key(tenant=self.tenant, creator=self.caller.user, **data.validated_data)
        body = {**ApiKeySerializer(made.key).data, "secret": made.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(AdminTenantApi):
    @extend_schema(
        summary="Revoke an API key at once (admin)", request=None, responses={200: ApiKeySerializer, **TENANT_ERRORS}
    )
    def post(self, request: Request, tenant_id: Any, key_pk: int) -> Response:
        return Response(ApiKeySerializer(tenants.revoke_api_key(tenant=self.tenant, key_pk=row_id(key_pk))).data)


class CustomerListApi(TenantApi, ListAPIView[Customer]):
    api_key_allowed = True
    serializer_class = CustomerSerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Customer]:
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        query = CustomerQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.customers_of(tenant=self.tenant, **query.validated_data)

    @extend_schema(
        summary="The tenant's customers, newest first",
        parameters=[CustomerQuerySerializer],
        responses={200: CustomerSerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Enrol a customer",
        request=CustomerInputSerializer,
        responses={
            201: CustomerSerializer,
            **TENANT_ERRORS,
            409: OpenApiResponse(description="`conflict`: the phone or external reference is in this tenant already."),
        },
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = CustomerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = Channel.API if self.caller.role == "api_key" else Channel.STAFF
        customer = customers.create_customer(tenant=self.tenant, channel=channel, **data.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(TenantApi):
    api_key_allowed = True

    @extend_schema(summary="A customer", responses={200: CustomerSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        customer = selectors.customer_of(tenant=self.tenant, customer_id=row_id(customer_id))
        return Response(CustomerSerializer(customer).data)

    @extend_schema(
        summary="Suspend, reactivate or opt out a customer; change their attributes or external reference",
        request=CustomerChangeSerializer,
        responses={200: CustomerSerializer, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        data = CustomerChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customers.update_customer(tenant=self.tenant, customer_id=row_id(customer_id), **data.validated_data)
        return Response(CustomerSerializer(customer).data)
