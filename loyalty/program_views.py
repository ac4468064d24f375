"""Tiers, referrals and consent over REST, under `loyalty/tenants/{tenant_id}/`. Thin: `TenantApi` settles the
tenant and the caller's role (viewers read, managers and admins write); the services do the work."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.fields import row_id_in_range
from loyalty import selectors
from loyalty.access import TenantApi
from loyalty.models import ConsentChannel, Referral
from loyalty.program_serializers import (
    ConsentInputSerializer,
    CustomerConsentSerializer,
    CustomerTierSerializer,
    ReferralQuerySerializer,
    ReferralSerializer,
    TierChangeInputSerializer,
    TierInputSerializer,
    TierSerializer,
)
from loyalty.services import consent, referrals, tiers

NOT_FOUND = OpenApiResponse(description="`not_found`: no such object in this tenant (or no such tenant for you).")
ROLE = OpenApiResponse(description="`permission_denied`: your role (or an API key) may not do this.")
TENANT_ERRORS = {403: ROLE, 404: NOT_FOUND}
TIER_TAKEN = OpenApiResponse(description="`conflict`: another tier of the tenant has this name or threshold.")


# --- tiers -------------------------------------------------------------------------------------------------------


class TierListApi(TenantApi):
    @extend_schema(
        summary="The tenant's tiers, lowest threshold first",
        responses={200: TierSerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, tenant_id: Any) -> Response:
        return Response(TierSerializer(tiers.tiers_of(tenant=self.tenant), many=True).data)

    @extend_schema(
        summary="Create a tier (manager): customers reach it at their next event or the daily review",
        request=TierInputSerializer,
        responses={201: TierSerializer, 409: TIER_TAKEN, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = TierInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = tiers.create_tier(tenant=self.tenant, **data.validated_data)
        return Response(TierSerializer(made).data, status=status.HTTP_201_CREATED)


class TierDetailApi(TenantApi):
    @extend_schema(summary="A tier", responses={200: TierSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, tier_id: int) -> Response:
        return Response(TierSerializer(tiers.tier_of(tenant=self.tenant, tier_id=row_id_in_range(tier_id))).data)

    @extend_schema(
        summary="Rename a tier, move its threshold or change its benefits (manager)",
        request=TierChangeInputSerializer,
        responses={200: TierSerializer, 409: TIER_TAKEN, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any, tier_id: int) -> Response:
        data = TierChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = tiers.update_tier(tenant=self.tenant, tier_id=row_id_in_range(tier_id), **data.validated_data)
        return Response(TierSerializer(changed).data)

    @extend_schema(
        summary="Delete a tier (manager): its holders move down to the next lower tier, or none",
        request=None,
        responses={204: None, **TENANT_ERRORS},
    )
    def delete(self, request: Request, tenant_id: Any, tier_id: int) -> Response:
        tiers.delete_tier(tenant=self.tenant, tier_id=row_id_in_range(tier_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CustomerTierApi(TenantApi):
    api_key_allowed = True

    @extend_schema(
        summary="A customer's tier: the period's total, the next tier and what it needs, and the history",
        responses={200: CustomerTierSerializer, **TENANT_ERRORS},
    )
    def get(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        customer = selectors.customer_of(tenant=self.tenant, customer_id=row_id_in_range(customer_id))
        standing = tiers.tier_standing(tenant=self.tenant, customer=customer, at=timezone.now())
        body = {
            "tier": standing.tier,
            "tier_since": standing.tier_since,
            "below_tier_since": standing.below_tier_since,
            "tier_basis": self.tenant.tier_basis,
            "tier_period_days": self.tenant.tier_period_days,
            "total": f"{standing.total:.2f}",
            "next_tier": standing.next_tier,
            "missing": None if standing.missing is None else f"{standing.missing:.2f}",
            "history": tiers.tier_changes_of(tenant=self.tenant, customer=customer),
        }
        return Response(CustomerTierSerializer(body).data)


# --- referrals ---------------------------------------------------------------------------------------------------


class ReferralListApi(TenantApi, ListAPIView[Referral]):
    serializer_class = ReferralSerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Referral]:
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        query = ReferralQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return referrals.referrals_of(tenant=self.tenant, status=query.validated_data.get("status"))

    @extend_schema(
        summary="Who referred whom, newest first",
        parameters=[ReferralQuerySerializer],
        responses={200: ReferralSerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- consent -----------------------------------------------------------------------------------------------------


class CustomerConsentApi(TenantApi):
    api_key_allowed = True

    def _body(self, customer: Any) -> Any:
        latest = consent.consents_of(tenant=self.tenant, customer=customer)
        history = consent.consent_history(tenant=self.tenant, customer=customer)
        return CustomerConsentSerializer(
            {"channels": {channel: latest.get(channel) for channel in ConsentChannel.values}, "history": history}
        ).data

    @extend_schema(
        summary="A customer's marketing consent per channel, and its history",
        responses={200: CustomerConsentSerializer, **TENANT_ERRORS},
    )
    def get(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        customer = selectors.customer_of(tenant=self.tenant, customer_id=row_id_in_range(customer_id))
        return Response(self._body(customer))

    @extend_schema(
        summary="Record a customer's opt-in or opt-out on one channel (a new record; the history stays)",
        description="An opt-out of SMS stops every SMS, rewards' included; an opt-in allows marketing.",
        request=ConsentInputSerializer,
        responses={200: CustomerConsentSerializer, **TENANT_ERRORS},
    )
    def put(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        data = ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = selectors.customer_of(tenant=self.tenant, customer_id=row_id_in_range(customer_id))
        caller = "api" if self.caller.user is None else f"staff:{self.caller.user.pk.hex}"
        consent.record_consent(
            tenant=self.tenant,
            customer=customer,
            channel=data.validated_data["channel"],
            granted=data.validated_data["granted"],
            source=data.validated_data.get("source") or caller,
        )
        return Response(self._body(customer))
