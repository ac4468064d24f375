from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import authorize_money_movement
from contributions import selectors, services
from contributions.filters import ContributionFilter, PayoutFilter
from contributions.models import Contribution, Cycle, Payout
from contributions.serializers import (
    ContributionPayInputSerializer,
    ContributionPaymentSerializer,
    ContributionSerializer,
    CycleSerializer,
    PayoutSerializer,
    PenaltyPaymentSerializer,
)
from groups.selectors import membership_of
from groups.views import NOT_MEMBER
from payments.idempotency import idempotent
from payments.views import IDEMPOTENCY_KEY, MONEY_ERRORS, PIN_TOKEN

BIGINT_MAX = 2**63 - 1


def row_id(value: str) -> int | None:
    """An id from the URL, or None (the lookup then finds nothing: 404). ASCII digits only: `str.isdigit()` also
    takes "²", which `int()` refuses, and Arabic-Indic one (U+0661), which `int()` reads as 1. And no larger than
    the column holds."""
    if not (value.isascii() and value.isdigit()) or int(value) > BIGINT_MAX:
        return None
    return int(value)


class ContributionListApi(ListAPIView):
    queryset = Contribution.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = ContributionSerializer
    filterset_class = ContributionFilter

    def get_queryset(self):
        return selectors.contributions_of(user=self.request.user)

    @extend_schema(summary="My contributions, oldest due first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ContributionPayApi(APIView):
    @extend_schema(
        summary="Pay a contribution, with any older dues and penalties first, from the wallet or by M-Pesa",
        request=ContributionPayInputSerializer,
        responses={
            200: ContributionPaymentSerializer,
            202: ContributionPaymentSerializer,
            404: OpenApiResponse(description="`contribution_not_found`."),
            **MONEY_ERRORS,
            409: OpenApiResponse(
                description="`contribution_already_paid`, `contribution_not_payable` or `idempotency_key_in_use`."
            ),
            503: OpenApiResponse(description="`provider_unavailable`: M-Pesa could not be reached."),
        },
        parameters=[IDEMPOTENCY_KEY, PIN_TOKEN],
    )
    @idempotent
    def post(self, request, contribution_id):
        contribution = selectors.contribution_of(user=request.user, pk=row_id(contribution_id))
        data = ContributionPayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = contribution.membership
        if data.validated_data["source"] == "mpesa":
            charge = services.start_mpesa_payment(
                membership=membership, contribution=contribution, phone_number=data.validated_data["phone_number"]
            )
            body = {
                "id": contribution.pk,
                "status": "pending",
                "total": str(charge.amount),
                "settled": [],
                "deposit_reference": charge.reference,
            }
            return Response(ContributionPaymentSerializer(body).data, status=status.HTTP_202_ACCEPTED)
        authorize_money_movement(user=request.user, pin_token=request.headers.get("X-Pin-Token"))
        settled = services.pay_contribution(membership=membership, contribution=contribution)
        body = {
            "id": contribution.pk,
            "status": "paid",
            "total": str(settled.total),
            "settled": [{"kind": "penalty", "id": p.pk, "amount": p.amount} for p in settled.penalties]
            + [{"kind": "contribution", "id": c.pk, "amount": c.amount} for c in settled.contributions],
            "deposit_reference": None,
        }
        return Response(ContributionPaymentSerializer(body).data)


class PayoutListApi(ListAPIView):
    queryset = Payout.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = PayoutSerializer
    filterset_class = PayoutFilter

    def get_queryset(self):
        return selectors.payouts_of(user=self.request.user)

    @extend_schema(summary="Payouts I have received, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CycleListApi(ListAPIView):
    queryset = Cycle.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = CycleSerializer

    def get_queryset(self):
        membership = membership_of(user=self.request.user, group_id=self.kwargs["group_id"])
        return selectors.cycles_of(group=membership.group)

    @extend_schema(
        summary="The group's cycles: due dates, recipients, how many have paid, payouts",
        responses={200: CycleSerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class PenaltyPayApi(APIView):
    @extend_schema(
        summary="Pay one penalty or fine of mine from the wallet",
        request=None,
        responses={
            200: PenaltyPaymentSerializer,
            404: OpenApiResponse(description="`penalty_not_found`."),
            **MONEY_ERRORS,
            409: OpenApiResponse(description="`penalty_not_owed` or `idempotency_key_in_use`."),
        },
        parameters=[IDEMPOTENCY_KEY, PIN_TOKEN],
    )
    @idempotent
    def post(self, request, penalty_id):
        penalty = selectors.penalty_of(user=request.user, pk=row_id(penalty_id))
        authorize_money_movement(user=request.user, pin_token=request.headers.get("X-Pin-Token"))
        services.pay_penalty(membership=penalty.membership, penalty=penalty)
        penalty.refresh_from_db()
        return Response(PenaltyPaymentSerializer(penalty).data)
