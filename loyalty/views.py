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
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.signed_in import signed_in_user
from core.fields import row_id_in_range
from loyalty import selectors
from loyalty.access import AdminTenantApi, TenantApi
from loyalty.errors import RoleRequiredError
from loyalty.models import Budget, Campaign, Channel, Customer, Issuance, Reward, RewardType, Rule
from loyalty.parsers import CsvBodyParser
from loyalty.serializers import (
    ApiKeyInputSerializer,
    ApiKeySerializer,
    BudgetInputSerializer,
    BudgetSerializer,
    CampaignChangeSerializer,
    CampaignInputSerializer,
    CampaignSerializer,
    CodesAddedSerializer,
    CustomerChangeSerializer,
    CustomerEnrolledSerializer,
    CustomerInputSerializer,
    CustomerQuerySerializer,
    CustomerReferralSerializer,
    CustomerSerializer,
    EventAnswerSerializer,
    EventInputSerializer,
    IssuanceCancelInputSerializer,
    IssuanceDetailSerializer,
    IssuanceQuerySerializer,
    IssuanceSerializer,
    LedgerLineSerializer,
    NewApiKeySerializer,
    PointsSpendInputSerializer,
    RedeemInputSerializer,
    RewardInputSerializer,
    RewardSerializer,
    RuleChangeSerializer,
    RuleInputSerializer,
    RuleSerializer,
    StaffChangeSerializer,
    StaffInputSerializer,
    StaffSerializer,
    TenantChangeSerializer,
    TenantInputSerializer,
    TenantSerializer,
    TopUpInputSerializer,
    TransitionSerializer,
)
from loyalty.services import (
    budgets,
    campaigns,
    customers,
    events,
    issuances,
    points,
    referrals,
    rewards,
    rules,
    tenants,
)
from loyalty.tenancy import enter_tenant
from payments.endpoints import money_endpoint

NOT_FOUND = OpenApiResponse(description="`not_found`: no such object in this tenant (or no such tenant for you).")
ROLE = OpenApiResponse(description="`permission_denied`: your role (or an API key) may not do this.")
TENANT_ERRORS = {403: ROLE, 404: NOT_FOUND}


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
        staff_id = row_id_in_range(staff_id)
        role = data.validated_data.get("role")
        member = (
            tenants.change_staff_role(tenant=self.tenant, staff_id=staff_id, role=role)
            if role
            else selectors.staff_member(tenant=self.tenant, staff_id=staff_id)
        )
        return Response(StaffSerializer(member).data)

    @extend_schema(summary="Remove a staff member (admin)", request=None, responses={204: None, **TENANT_ERRORS})
    def delete(self, request: Request, tenant_id: Any, staff_id: int) -> Response:
        tenants.remove_staff(tenant=self.tenant, staff_id=row_id_in_range(staff_id))
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
        return Response(
            ApiKeySerializer(tenants.revoke_api_key(tenant=self.tenant, key_pk=row_id_in_range(key_pk))).data
        )


class CustomerListApi(TenantApi, ListAPIView[Customer]):
    api_key_allowed = True
    serializer_class = CustomerSerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Customer]:
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        query = CustomerQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.customers_of(tenant=self.tenant, **query.validated_data).select_related("tier")

    @extend_schema(
        summary="The tenant's customers, newest first",
        parameters=[CustomerQuerySerializer],
        responses={200: CustomerSerializer(many=True), **TENANT_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Enrol a customer",
        description="With another customer's `referral_code`, the answer's `referral` says whether the referral "
        "stands (`pending` until the first qualifying event) or is refused as a self-referral.",
        request=CustomerInputSerializer,
        responses={
            201: CustomerEnrolledSerializer,
            **TENANT_ERRORS,
            409: OpenApiResponse(description="`conflict`: the phone or external reference is in this tenant already."),
            422: OpenApiResponse(description="`referral_code_unknown`: no customer of this tenant has the code."),
        },
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = CustomerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = Channel.API if self.caller.role == "api_key" else Channel.STAFF
        customer = customers.create_customer(tenant=self.tenant, channel=channel, **data.validated_data)
        referral = referrals.referral_of_referee(tenant=self.tenant, referee=customer)
        body = {**CustomerSerializer(customer).data, "referral": CustomerReferralSerializer(referral).data}
        if referral is None:
            body["referral"] = None
        return Response(body, status=status.HTTP_201_CREATED)


class CustomerDetailApi(TenantApi):
    api_key_allowed = True

    @extend_schema(summary="A customer", responses={200: CustomerSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        customer = selectors.customer_of(tenant=self.tenant, customer_id=row_id_in_range(customer_id))
        referrals.referral_code_of(tenant=self.tenant, customer=customer)  # made now for one enrolled before codes
        return Response(CustomerSerializer(customer).data)

    @extend_schema(
        summary="Suspend, reactivate or opt out a customer; change their attributes or external reference",
        request=CustomerChangeSerializer,
        responses={200: CustomerSerializer, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        data = CustomerChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customers.update_customer(
            tenant=self.tenant, customer_id=row_id_in_range(customer_id), **data.validated_data
        )
        return Response(CustomerSerializer(customer).data)


# --- campaigns ---------------------------------------------------------------------------------------------------


class CampaignListApi(TenantApi, ListAPIView[Campaign]):
    serializer_class = CampaignSerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Campaign]:
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        return Campaign.objects.filter(tenant=self.tenant).order_by("-created_at", "-pk")

    @extend_schema(summary="The tenant's campaigns", responses={200: CampaignSerializer(many=True), **TENANT_ERRORS})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a campaign",
        request=CampaignInputSerializer,
        responses={201: CampaignSerializer, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = campaigns.create_campaign(tenant=self.tenant, **data.validated_data)
        return Response(CampaignSerializer(made).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(TenantApi):
    @extend_schema(summary="A campaign", responses={200: CampaignSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, campaign_id: int) -> Response:
        found = campaigns.campaign_of(tenant=self.tenant, campaign_id=row_id_in_range(campaign_id))
        return Response(CampaignSerializer(found).data)

    @extend_schema(
        summary="Rename, reschedule, pause (its rules too), resume or end a campaign",
        request=CampaignChangeSerializer,
        responses={
            200: CampaignSerializer,
            **TENANT_ERRORS,
            409: OpenApiResponse(description="`conflict`: an ended campaign stays ended."),
        },
    )
    def patch(self, request: Request, tenant_id: Any, campaign_id: int) -> Response:
        data = CampaignChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = campaigns.update_campaign(
            tenant=self.tenant, campaign_id=row_id_in_range(campaign_id), **data.validated_data
        )
        return Response(CampaignSerializer(changed).data)


# --- budgets -------------------------------------------------------------------------------------------------------


class BudgetListApi(TenantApi):
    @extend_schema(summary="The tenant's budgets", responses={200: BudgetSerializer(many=True), **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any) -> Response:
        found = budgets.budgets_of(tenant=self.tenant).order_by("pk")
        return Response([budget_body(self.tenant, budget) for budget in found])

    @extend_schema(
        summary="Create a budget in the tenant's currency, funded with its total",
        request=BudgetInputSerializer,
        responses={201: BudgetSerializer, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = BudgetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = budgets.create_budget(tenant=self.tenant, currency=self.tenant.currency, **data.validated_data)
        return Response(budget_body(self.tenant, made), status=status.HTTP_201_CREATED)


class BudgetDetailApi(TenantApi):
    @extend_schema(summary="A budget and its figures", responses={200: BudgetSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, budget_id: int) -> Response:
        found = budgets.budget_of(tenant=self.tenant, budget_id=row_id_in_range(budget_id))
        return Response(budget_body(self.tenant, found))


class BudgetTopUpApi(TenantApi):
    @money_endpoint(
        pin=False,
        summary="Add money to a budget (a budget without a period: its total grows by as much)",
        request=TopUpInputSerializer,
        responses={200: BudgetSerializer, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any, budget_id: int) -> Response:
        data = TopUpInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topped = budgets.top_up_budget(tenant=self.tenant, budget_id=row_id_in_range(budget_id), **data.validated_data)
        return Response(budget_body(self.tenant, topped))


class BudgetLedgerApi(TenantApi, ListAPIView[Any]):
    serializer_class = LedgerLineSerializer
    filter_backends = ()

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return []
        return budgets.budget_postings(tenant=self.tenant)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        lines = [
            {
                "transaction_id": entry.transaction_id,
                "kind": entry.kind,
                "budget": entry.budget,
                "account": entry.account_kind,
                "amount": str(entry.amount),
                "created_at": entry.created_at,
            }
            for entry in page or []
        ]
        return self.get_paginated_response(LedgerLineSerializer(lines, many=True).data)

    @extend_schema(summary="The tenant's budget postings in the ledger, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def budget_body(tenant: Any, budget: Budget) -> Any:
    figures = budgets.budget_figures(tenant=tenant, budget=budget)
    return BudgetSerializer(
        {
            "id": budget.pk,
            "name": budget.name,
            "currency": budget.currency,
            "period": budget.period,
            "hard_cap": budget.hard_cap,
            "soft_cap_threshold": budget.soft_cap_threshold,
            "created_at": budget.created_at,
            **figures,
        }
    ).data


# --- rewards -------------------------------------------------------------------------------------------------------


def reward_body(tenant: Any, reward: Reward) -> Any:
    left = rewards.free_codes(tenant=tenant, reward=reward) if reward.reward_type == RewardType.VOUCHER else None
    return RewardSerializer(reward, context={"codes_left": left}).data


class RewardListApi(TenantApi):
    api_key_allowed = True

    @extend_schema(summary="The tenant's rewards", responses={200: RewardSerializer(many=True), **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any) -> Response:
        return Response([reward_body(self.tenant, r) for r in rewards.rewards_of(tenant=self.tenant).order_by("pk")])

    @extend_schema(
        summary="Create a reward charged to a budget",
        request=RewardInputSerializer,
        responses={201: RewardSerializer, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        if self.caller.role == "api_key":
            raise RoleRequiredError("API keys read rewards; staff create them.")
        data = RewardInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields["budget_id"] = fields.pop("budget")
        if "campaign" in fields:
            fields["campaign_id"] = fields.pop("campaign")
        made = rewards.create_reward(tenant=self.tenant, **fields)
        return Response(reward_body(self.tenant, made), status=status.HTTP_201_CREATED)


class RewardDetailApi(TenantApi):
    api_key_allowed = True

    @extend_schema(summary="A reward", responses={200: RewardSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, reward_id: int) -> Response:
        return Response(
            reward_body(self.tenant, rewards.reward_of(tenant=self.tenant, reward_id=row_id_in_range(reward_id)))
        )


class RewardCodesApi(TenantApi):
    parser_classes = (CsvBodyParser,)

    @extend_schema(
        summary="Upload voucher codes: CSV, one code a line (a `code` header allowed)",
        request={
            "text/csv": {
                "type": "string",
                "maxLength": 100_000,
                # one code a line (letters, digits and common marks; no quotes or commas), at most 64 characters
                "pattern": r"^[^\",\r\n\x00]{0,64}((\r\n|\r|\n)[^\",\r\n\x00]{0,64})*$",
                "description": "One code a line, at most 64 characters each; an optional `code` header line.",
            }
        },
        responses={
            201: CodesAddedSerializer,
            **TENANT_ERRORS,
            409: OpenApiResponse(description="`conflict`: the reward is not a voucher."),
        },
    )
    def post(self, request: Request, tenant_id: Any, reward_id: int) -> Response:
        body = request.data if isinstance(request.data, bytes) else b""
        codes = rewards.parse_codes_csv(body)
        added, duplicates = rewards.add_voucher_codes(
            tenant=self.tenant, reward_id=row_id_in_range(reward_id), codes=codes
        )
        return Response({"added": added, "duplicates": duplicates}, status=status.HTTP_201_CREATED)


# --- rules -----------------------------------------------------------------------------------------------------------

BAD_RULE = OpenApiResponse(
    description="`validation_error`: the conditions use an unknown operator or the wrong number of arguments "
    "(`details.conditions` names it, `details.path` says where), or another field is wrong."
)


def _rule_fields(validated: dict[str, Any]) -> dict[str, Any]:
    fields = dict(validated)
    for name in ("reward", "campaign"):
        if name in fields:
            fields[f"{name}_id"] = fields.pop(name)
    return fields


class RuleListApi(TenantApi):
    @extend_schema(
        summary="The tenant's rules, by priority", responses={200: RuleSerializer(many=True), **TENANT_ERRORS}
    )
    def get(self, request: Request, tenant_id: Any) -> Response:
        found = Rule.objects.filter(tenant=self.tenant).order_by("priority", "pk")
        return Response(RuleSerializer(found, many=True).data)

    @extend_schema(
        summary="Create a rule (validated and compiled now, never interpreted at ingest)",
        request=RuleInputSerializer,
        responses={201: RuleSerializer, 400: BAD_RULE, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = RuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = rules.create_rule(tenant=self.tenant, **_rule_fields(data.validated_data))
        return Response(RuleSerializer(made).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(TenantApi):
    @extend_schema(summary="A rule", responses={200: RuleSerializer, **TENANT_ERRORS})
    def get(self, request: Request, tenant_id: Any, rule_id: int) -> Response:
        return Response(RuleSerializer(rules.rule_of(tenant=self.tenant, rule_id=row_id_in_range(rule_id))).data)

    @extend_schema(
        summary="Change a rule (a new version: the next event uses it)",
        request=RuleChangeSerializer,
        responses={200: RuleSerializer, 400: BAD_RULE, **TENANT_ERRORS},
    )
    def patch(self, request: Request, tenant_id: Any, rule_id: int) -> Response:
        data = RuleChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = rules.update_rule(
            tenant=self.tenant, rule_id=row_id_in_range(rule_id), **_rule_fields(data.validated_data)
        )
        return Response(RuleSerializer(changed).data)


# --- events and issuances --------------------------------------------------------------------------------------


class EventApi(TenantApi):
    api_key_allowed = True

    @extend_schema(
        summary="Send a customer's event: the rules run now and the answer lists the rewards issued",
        description="The same `idempotency_key` again answers the first result (200) and creates nothing.",
        request=EventInputSerializer,
        responses={
            200: EventAnswerSerializer,
            201: EventAnswerSerializer,
            **TENANT_ERRORS,
            422: OpenApiResponse(description="`idempotency_key_reused`: the key of another event."),
        },
    )
    def post(self, request: Request, tenant_id: Any) -> Response:
        data = EventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        result = events.ingest_event(
            tenant=self.tenant,
            actor=self.caller.actor,
            customer=fields["customer"],
            event_type=fields["event_type"],
            event_data=fields.get("event_data") or {},
            idempotency_key=fields["idempotency_key"],
            occurred_at=fields.get("occurred_at"),
        )
        answer = result.event.answer
        return Response(answer, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class IssuanceListApi(TenantApi, ListAPIView[Issuance]):
    api_key_allowed = True
    serializer_class = IssuanceSerializer
    filter_backends = ()

    def get_queryset(self) -> QuerySet[Issuance]:
        if getattr(self, "swagger_fake_view", False):
            return Issuance.objects.none()
        query = IssuanceQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        found = issuances.issuances_of(tenant=self.tenant).order_by("-created_at", "-pk")
        if "state" in query.validated_data:
            found = found.filter(state=query.validated_data["state"])
        if "customer" in query.validated_data:
            found = found.filter(customer_id=query.validated_data["customer"])
        return found

    @extend_schema(summary="Rewards issued, newest first", parameters=[IssuanceQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


ISSUANCE_STATE = OpenApiResponse(description="`issuance_state`: redeemed already, expired or cancelled.")


class RedeemThrottle(UserRateThrottle):
    """Redemptions per caller (`THROTTLE_LOYALTY_REDEEM`): a six-digit code must not be guessed by trying them."""

    scope = "loyalty_redeem"


class IssuanceRedeemApi(TenantApi):
    api_key_allowed = True
    throttle_classes = [RedeemThrottle]

    @extend_schema(
        summary="Redeem an issued reward, exactly once",
        request=RedeemInputSerializer,
        responses={200: IssuanceSerializer, 409: ISSUANCE_STATE, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any, issuance_id: int) -> Response:
        data = RedeemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        redeemed = issuances.redeem_issuance(
            tenant=self.tenant, issuance_id=row_id_in_range(issuance_id), actor=self.caller.actor, **data.validated_data
        )
        return Response(IssuanceSerializer(redeemed).data)


class IssuanceCancelApi(TenantApi):
    api_key_allowed = True

    @extend_schema(
        summary="Cancel an issued reward: its cost goes back to the budget",
        request=IssuanceCancelInputSerializer,
        responses={200: IssuanceSerializer, 409: ISSUANCE_STATE, **TENANT_ERRORS},
    )
    def post(self, request: Request, tenant_id: Any, issuance_id: int) -> Response:
        data = IssuanceCancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = issuances.cancel_issuance(
            tenant=self.tenant, issuance_id=row_id_in_range(issuance_id), actor=self.caller.actor, **data.validated_data
        )
        return Response(IssuanceSerializer(cancelled).data)


class IssuanceDetailApi(TenantApi):
    api_key_allowed = True

    @extend_schema(
        summary="An issued reward and its history", responses={200: IssuanceDetailSerializer, **TENANT_ERRORS}
    )
    def get(self, request: Request, tenant_id: Any, issuance_id: int) -> Response:
        found = issuances.issuance_of(tenant=self.tenant, issuance_id=row_id_in_range(issuance_id))
        history = issuances.transitions_of(tenant=self.tenant, issuance=found)
        body = {**IssuanceSerializer(found).data, "transitions": TransitionSerializer(history, many=True).data}
        return Response(body)


class PointsSpendApi(TenantApi):
    api_key_allowed = True

    @extend_schema(
        summary="Spend a customer's points (at the till)",
        request=PointsSpendInputSerializer,
        responses={
            200: CustomerSerializer,
            **TENANT_ERRORS,
            409: OpenApiResponse(description="`insufficient_points`: the customer has fewer points."),
        },
    )
    def post(self, request: Request, tenant_id: Any, customer_id: int) -> Response:
        data = PointsSpendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = selectors.customer_of(tenant=self.tenant, customer_id=row_id_in_range(customer_id))
        points.spend_points(tenant=self.tenant, customer=customer, actor=self.caller.actor, **data.validated_data)
        return Response(CustomerSerializer(customer).data)
