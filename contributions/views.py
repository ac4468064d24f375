"""The API of a group's money: contributions and payouts, turns and swaps, fines, loans, payments officials record,
statements, group health and the member dashboard. Paths under `groups/{id}/` keep the group in the URL."""

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import selectors, services
from contributions.filters import ContributionFilter, PayoutFilter
from contributions.models import Contribution, Cycle, Payout
from contributions.renderers import StatementCsvRenderer, StatementFormatMixin, StatementPdfRenderer
from contributions.selectors import statements
from contributions.serializers import (
    ChairOrderSerializer,
    ContributionPayInputSerializer,
    ContributionPaymentSerializer,
    ContributionSerializer,
    CreditSerializer,
    CycleSerializer,
    DecisionInputSerializer,
    FineInputSerializer,
    GuaranteeSerializer,
    LoanApplicationSerializer,
    LoanDetailSerializer,
    LoanListSerializer,
    PartPaymentInputSerializer,
    PartPaymentSerializer,
    PaybillAssignInputSerializer,
    PaybillPaymentSerializer,
    PaybillSerializer,
    PayoutDestinationInputSerializer,
    PayoutDestinationSerializer,
    PayoutSerializer,
    PenaltyPaymentSerializer,
    PenaltySerializer,
    PlanChangeSerializer,
    PlanSerializer,
    RecordedPaymentInputSerializer,
    RecordedPaymentSerializer,
    RejectInputSerializer,
    RepaymentInputSerializer,
    ResolutionInputSerializer,
    ResolutionSerializer,
    RotationSerializer,
    SavingsTopUpInputSerializer,
    SavingsTopUpSerializer,
    ShareOutPreviewSerializer,
    ShareOutSerializer,
    StatementQuerySerializer,
    StatementSerializer,
    SwapInputSerializer,
    SwapSerializer,
    VoteInputSerializer,
    WelfareContributionSerializer,
    WelfareFundSerializer,
    WelfarePayInputSerializer,
)
from core.clock import local_today
from core.fields import MAX_ROW_ID, row_id_in_range
from core.money import AmountError, parse_amount, round_money
from groups.errors import NotAnOfficialError
from groups.models import Plan
from groups.openapi import NOT_MEMBER, OFFICIALS
from groups.plans import effective_plan, limits_of, price_of, require_feature
from groups.selectors import member_in, membership_of
from groups.services import set_chair_order
from payments.card_selectors import card_of
from payments.endpoints import money_endpoint, require_pin
from payments.selectors import bank_account_of


class GroupMoneyApi(APIView):
    # an endpoint about one group's money, under `groups/{id}/` (no docstring: it would become every operation's
    # description): documented with the group's endpoints
    openapi_tag = "groups"


def row_id(value: str) -> int | None:
    """An id from the URL, or None (the lookup then finds nothing: 404). ASCII digits only: `str.isdigit()` also
    takes "²", which `int()` refuses, and Arabic-Indic one (U+0661), which `int()` reads as 1. And no larger than
    the column holds."""
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_ROW_ID:
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
    @money_endpoint(
        summary="Pay a contribution, with any older dues and penalties first: from the wallet, by M-Pesa or by card",
        description=(
            "The `X-Pin-Token` is needed to pay from the wallet or with a saved card (`source: card`, `card`: its "
            "id; answered 202 like M-Pesa, the charge to follow at `deposit_reference`); M-Pesa asks for the PIN "
            "on the phone."
        ),
        request=ContributionPayInputSerializer,
        responses={
            200: ContributionPaymentSerializer,
            202: ContributionPaymentSerializer,
            404: OpenApiResponse(description="`contribution_not_found`, or no such saved card."),
            409: OpenApiResponse(
                description="`contribution_already_paid`, `contribution_not_payable` or `idempotency_key_in_use`."
            ),
            503: OpenApiResponse(description="`provider_unavailable`: M-Pesa could not be reached."),
        },
    )
    def post(self, request, contribution_id):
        contribution = selectors.contribution_of(user=request.user, pk=row_id(contribution_id))
        data = ContributionPayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = contribution.membership
        if data.validated_data["source"] in ("mpesa", "card"):
            if data.validated_data["source"] == "card":
                card = card_of(user_id=request.user.pk, pk=data.validated_data["card"])
                if card is None:
                    raise NotFound("No such card.")
                require_pin(request)
                charge = services.start_card_payment(membership=membership, contribution=contribution, card=card)
            else:
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
        require_pin(request)
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
    @money_endpoint(
        summary="Pay one penalty or fine of mine from the wallet",
        request=None,
        responses={
            200: PenaltyPaymentSerializer,
            404: OpenApiResponse(description="`penalty_not_found`."),
            409: OpenApiResponse(description="`penalty_not_owed` or `idempotency_key_in_use`."),
        },
    )
    def post(self, request, penalty_id):
        penalty = selectors.penalty_of(user=request.user, pk=row_id(penalty_id))
        require_pin(request)
        services.pay_penalty(membership=penalty.membership, penalty=penalty)
        penalty.refresh_from_db()
        return Response(PenaltyPaymentSerializer(penalty).data)


# --- turns and swaps ----------------------------------------------------------------------------------------


class RotationApi(GroupMoneyApi):
    @extend_schema(
        summary="The payout order, with the random draw's commitment and (after start) its seed",
        responses={200: RotationSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(RotationSerializer(selectors.rotation_of(group=membership.group)).data)

    @extend_schema(
        summary="Set the payout order before start (chair; payout order `chair`)",
        request=ChairOrderSerializer,
        responses={200: RotationSerializer, 409: OpenApiResponse(description="`group_state`."), **OFFICIALS},
    )
    def put(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = ChairOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        set_chair_order(actor=membership, user_ids=[str(u) for u in data.validated_data["order"]])
        return Response(RotationSerializer(selectors.rotation_of(group=membership.group)).data)


class SwapListApi(GroupMoneyApi):
    @extend_schema(summary="Swap requests in this group", responses={200: SwapSerializer(many=True), **NOT_MEMBER})
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(SwapSerializer(selectors.swaps_of(group=membership.group), many=True).data)

    @extend_schema(
        summary="Ask the holder of another turn to swap with yours",
        request=SwapInputSerializer,
        responses={201: SwapSerializer, 409: OpenApiResponse(description="`swap_not_allowed`."), **NOT_MEMBER},
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = SwapInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        swap = services.request_swap(membership=membership, **data.validated_data)
        return Response(SwapSerializer(swap).data, status=status.HTTP_201_CREATED)


class SwapAnswerApi(GroupMoneyApi):
    accept = True

    @extend_schema(
        summary="Answer a swap request (accept or decline; the requester may decline to cancel it)",
        request=None,
        responses={200: SwapSerializer, 409: OpenApiResponse(description="`swap_not_allowed`."), **NOT_MEMBER},
    )
    def post(self, request, group_id, swap_id):
        membership = membership_of(user=request.user, group_id=group_id)
        swap = selectors.swap_in(group=membership.group, swap_id=swap_id)
        swap = services.answer_swap(membership=membership, swap=swap, accept=self.accept)
        return Response(SwapSerializer(swap).data)


class FineListApi(GroupMoneyApi):
    @extend_schema(
        summary="Fines and penalties: officials see everyone's, members their own",
        responses={200: PenaltySerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(PenaltySerializer(selectors.penalties_visible_to(membership=membership), many=True).data)

    @extend_schema(
        summary="Fine a member, with a reason they will see (officials)",
        request=FineInputSerializer,
        responses={
            201: PenaltySerializer,
            409: OpenApiResponse(description="`group_state`: the member has left, or an official fines themselves."),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = FineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = parse_group_amount(data.validated_data["amount"], membership.group, "amount")
        target = member_in(group=membership.group, membership_id=data.validated_data["membership"])
        fine = services.levy_fine(
            actor=membership, membership=target, amount=amount, reason=data.validated_data["reason"]
        )
        return Response(PenaltySerializer(fine).data, status=status.HTTP_201_CREATED)


def parse_group_amount(value, group, field: str):
    try:
        return parse_amount(value, group.currency)
    except AmountError as exc:
        raise ValidationError({field: [str(exc)]}) from exc


# --- loans --------------------------------------------------------------------------------------------------


class LoanListApi(GroupMoneyApi):
    @extend_schema(
        operation_id="groups_loans_list",
        summary="The group's loan book and its loans",
        responses={200: LoanListSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        group = membership.group
        return Response(
            LoanListSerializer({"book": services.loan_book(group=group), "loans": selectors.loans_of(group=group)}).data
        )

    @extend_schema(
        summary="Apply for a loan (within the group's limit, with optional guarantors)",
        request=LoanApplicationSerializer,
        responses={201: LoanDetailSerializer, 409: OpenApiResponse(description="`loan_refused`."), **NOT_MEMBER},
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = LoanApplicationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = membership.group
        guarantors = [
            (
                member_in(group=group, membership_id=row["membership"]),
                parse_group_amount(row["amount"], group, "guarantors"),
            )
            for row in data.validated_data["guarantors"]
        ]
        loan = services.apply_for_loan(
            membership=membership,
            principal=parse_group_amount(data.validated_data["amount"], group, "amount"),
            term_months=data.validated_data["term_months"],
            purpose=data.validated_data["purpose"],
            guarantors=guarantors,
        )
        return Response(LoanDetailSerializer(selectors.loan_in(group=group, loan_id=loan.pk)).data, status=201)


class LoanDetailApi(GroupMoneyApi):
    @extend_schema(
        summary="A loan's statement: schedule, payments, guarantees, decisions, payoff today",
        responses={200: LoanDetailSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id, loan_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(LoanDetailSerializer(selectors.loan_in(group=membership.group, loan_id=loan_id)).data)


class LoanActionApi(GroupMoneyApi):
    """approve / reject / disburse / write-off: officials other than the borrower."""

    action_name = ""

    @extend_schema(
        summary="An official's decision on a loan: approve, reject, disburse or vote to write off",
        request=DecisionInputSerializer,
        responses={200: LoanDetailSerializer, 409: OpenApiResponse(description="`loan_state`."), **OFFICIALS},
    )
    def post(self, request, group_id, loan_id):
        membership = membership_of(user=request.user, group_id=group_id)
        loan = selectors.loan_in(group=membership.group, loan_id=loan_id)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        if self.action_name in ("approve", "reject"):
            services.decide_loan(actor=membership, loan=loan, approve=self.action_name == "approve", reason=reason)
        elif self.action_name == "disburse":
            services.disburse_loan(actor=membership, loan=loan)
        else:
            services.vote_write_off(actor=membership, loan=loan, reason=reason)
        return Response(LoanDetailSerializer(selectors.loan_in(group=membership.group, loan_id=loan.pk)).data)


class LoanRepayApi(GroupMoneyApi):
    @money_endpoint(
        summary="Repay a loan from my wallet (late fees, then interest, then principal)",
        request=RepaymentInputSerializer,
        responses={
            200: LoanDetailSerializer,
            409: OpenApiResponse(
                description="`repayment_too_large` (details.payoff), `loan_state` or `idempotency_key_in_use`."
            ),
        },
    )
    def post(self, request, group_id, loan_id):
        membership = membership_of(user=request.user, group_id=group_id)
        loan = selectors.loan_in(group=membership.group, loan_id=loan_id)
        if loan.borrower_id != membership.pk:
            raise NotAnOfficialError("Only the borrower repays from their wallet; officials record other payments.")
        data = RepaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = parse_group_amount(data.validated_data["amount"], membership.group, "amount")
        require_pin(request)
        services.repay_loan(loan=loan, amount=amount)
        return Response(LoanDetailSerializer(selectors.loan_in(group=membership.group, loan_id=loan.pk)).data)


class GuaranteeAnswerApi(GroupMoneyApi):
    accept = True

    @extend_schema(
        summary="Accept or decline guaranteeing a loan (accepting holds the amount on your savings)",
        request=None,
        responses={200: GuaranteeSerializer, 409: OpenApiResponse(description="`loan_state`, `loan_refused`.")},
    )
    def post(self, request, group_id, guarantee_id):
        membership = membership_of(user=request.user, group_id=group_id)
        guarantee = selectors.guarantee_in(group=membership.group, guarantee_id=guarantee_id)
        guarantee = services.answer_guarantee(membership=membership, guarantee=guarantee, accept=self.accept)
        return Response(GuaranteeSerializer(guarantee).data)


# --- payments recorded by officials -------------------------------------------------------------------------


class RecordedPaymentListApi(GroupMoneyApi):
    @extend_schema(
        summary="Payments recorded by officials: officials see all, members their own",
        responses={200: RecordedPaymentSerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(
            RecordedPaymentSerializer(selectors.recorded_payments_visible_to(membership=membership), many=True).data
        )

    @extend_schema(
        summary="Record a cash, paybill or bank payment a member made (an official; a second one confirms)",
        request=RecordedPaymentInputSerializer,
        responses={
            201: RecordedPaymentSerializer,
            409: OpenApiResponse(description="`receipt_already_recorded` or `group_state`."),
            422: OpenApiResponse(description="`recorded_amount_too_large`: more than is owed or the cash book holds."),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = RecordedPaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        payment = services.record_payment(
            actor=membership,
            member=member_in(group=membership.group, membership_id=values["membership"]),
            amount=parse_group_amount(values["amount"], membership.group, "amount"),
            method=values["method"],
            receipt_number=values["receipt_number"],
            paid_on=values["paid_on"],
            applies_to=values["applies_to"],
            target_id=values.get("target"),
        )
        return Response(RecordedPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class RecordedPaymentConfirmApi(GroupMoneyApi):
    @extend_schema(
        summary="Confirm a recorded payment (a second official); it posts now",
        request=None,
        responses={200: RecordedPaymentSerializer, 409: OpenApiResponse(description="`recorded_payment_state`.")},
    )
    def post(self, request, group_id, payment_id):
        membership = membership_of(user=request.user, group_id=group_id)
        payment = selectors.recorded_payment_in(group=membership.group, payment_id=payment_id)
        return Response(RecordedPaymentSerializer(services.confirm_payment(actor=membership, payment=payment)).data)


class RecordedPaymentRejectApi(GroupMoneyApi):
    @extend_schema(
        summary="Reject a recorded payment, with a reason (either official)",
        request=RejectInputSerializer,
        responses={200: RecordedPaymentSerializer, 409: OpenApiResponse(description="`recorded_payment_state`.")},
    )
    def post(self, request, group_id, payment_id):
        membership = membership_of(user=request.user, group_id=group_id)
        payment = selectors.recorded_payment_in(group=membership.group, payment_id=payment_id)
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rejected = services.reject_payment(actor=membership, payment=payment, reason=data.validated_data["reason"])
        return Response(RecordedPaymentSerializer(rejected).data)


# --- statements, health, dashboard --------------------------------------------------------------------------

STATEMENT_RENDERERS = [JSONRenderer, StatementCsvRenderer, StatementPdfRenderer]
# a date from 2000-01-01 to 2100-12-31 (statement_period's bounds)
STATEMENT_DATE = {"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-"}
STATEMENT_PARAMS = [
    OpenApiParameter("start", STATEMENT_DATE, description="First day; default 90 days ago. From 2000-01-01."),
    OpenApiParameter("end", STATEMENT_DATE, description="Last day, included; default today. Up to 2100-12-31."),
    OpenApiParameter("format", str, enum=["json", "csv", "pdf"], description="Or the Accept header."),
]


def statement_period(request, group):
    """The period asked for; CSV and PDF (an export) only on a plan that includes them."""
    if getattr(request.accepted_renderer, "format", "json") in ("csv", "pdf"):
        require_feature(group, "statements_export")
    query = StatementQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    end = query.validated_data.get("end") or local_today(group.tz)
    start = query.validated_data.get("start") or end - timedelta(days=90)
    if start > end:
        raise ValidationError({"start": ["The start comes after the end."]})
    return start, end


class GroupStatementApi(StatementFormatMixin, GroupMoneyApi):
    renderer_classes = STATEMENT_RENDERERS

    @extend_schema(
        summary="The group's statement (its pot) over a period, as JSON, CSV or PDF",
        parameters=STATEMENT_PARAMS,
        responses={200: StatementSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        start, end = statement_period(request, membership.group)
        return Response(statements.group_statement(group=membership.group, start=start, end=end).as_dict())


class MemberStatementApi(StatementFormatMixin, GroupMoneyApi):
    renderer_classes = STATEMENT_RENDERERS

    @extend_schema(
        summary="A member's statement with the group over a period (their own, or any member's for officials)",
        parameters=STATEMENT_PARAMS,
        responses={200: StatementSerializer, **OFFICIALS},
    )
    def get(self, request, group_id, membership_id):
        membership = membership_of(user=request.user, group_id=group_id)
        target = member_in(group=membership.group, membership_id=membership_id)
        if target.pk != membership.pk and not membership.is_official:
            raise NotAnOfficialError("Only officials see other members' statements.")
        start, end = statement_period(request, membership.group)
        return Response(statements.member_statement(membership=target, start=start, end=end).as_dict())


class GroupHealthApi(GroupMoneyApi):
    @extend_schema(
        summary="Group health: on-time rate, collected vs expected per cycle, arrears, defaulters, loan book",
        responses={200: OpenApiTypes.OBJECT, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(selectors.group_health(group=membership.group))


class DashboardApi(GroupMoneyApi):
    @extend_schema(
        summary="My home screen: total saved, next payout, upcoming dues, loans, and what needs action",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response(selectors.dashboard_of(user=request.user))


# --- resolutions and the welfare fund -----------------------------------------------------------------------

RESOLUTION_NOT_FOUND = OpenApiResponse(description="`resolution_not_found` or `group_not_found`.")


def _resolution_answer(membership, resolution, status_code=status.HTTP_200_OK) -> Response:
    resolution = selectors.resolution_in(group=membership.group, resolution_id=resolution.pk)
    votes = selectors.votes_of(membership=membership, resolution_ids=[resolution.pk])
    return Response(ResolutionSerializer(resolution, context={"my_votes": votes}).data, status=status_code)


class ResolutionListApi(GroupMoneyApi):
    @extend_schema(
        summary="The group's resolutions (spending put to the vote), newest first",
        responses={200: ResolutionSerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        resolutions = list(selectors.resolutions_of(group=membership.group)[:200])
        votes = selectors.votes_of(membership=membership, resolution_ids=[r.pk for r in resolutions])
        return Response(ResolutionSerializer(resolutions, many=True, context={"my_votes": votes}).data)

    @extend_schema(
        summary="Propose paying a member from the welfare fund or the pot, or (savings groups) sharing out the pot "
        "now; the members vote (officials)",
        request=ResolutionInputSerializer,
        responses={
            201: ResolutionSerializer,
            409: OpenApiResponse(
                description="`group_state`: no welfare fund, the group is not running, a share-out in a rotating "
                "group, or the beneficiary is not an active member; `resolution_state`: a payment without its "
                "amount or beneficiary."
            ),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = ResolutionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = membership.group
        amount, beneficiary = data.validated_data.get("amount"), data.validated_data.get("beneficiary")
        resolution = services.propose_resolution(
            actor=membership,
            kind=data.validated_data["kind"],
            amount=None if amount is None else parse_group_amount(amount, group, "amount"),
            beneficiary=None if beneficiary is None else member_in(group=group, membership_id=beneficiary),
            reason=data.validated_data["reason"],
            voting_days=data.validated_data["voting_days"],
            new_rules=data.validated_data.get("new_rules", ""),
        )
        return _resolution_answer(membership, resolution, status.HTTP_201_CREATED)


class ResolutionDetailApi(GroupMoneyApi):
    @extend_schema(
        summary="One resolution, its tally and your vote",
        responses={200: ResolutionSerializer, 404: RESOLUTION_NOT_FOUND},
    )
    def get(self, request, group_id, resolution_id):
        membership = membership_of(user=request.user, group_id=group_id)
        resolution = selectors.resolution_in(group=membership.group, resolution_id=row_id_in_range(resolution_id))
        return _resolution_answer(membership, resolution)


class ResolutionVoteApi(GroupMoneyApi):
    @extend_schema(
        summary="Vote yes or no, once, while the resolution is open",
        request=VoteInputSerializer,
        responses={
            200: ResolutionSerializer,
            404: RESOLUTION_NOT_FOUND,
            409: OpenApiResponse(description="`resolution_state`: voting has closed, or you voted already."),
        },
    )
    def post(self, request, group_id, resolution_id):
        membership = membership_of(user=request.user, group_id=group_id)
        resolution = selectors.resolution_in(group=membership.group, resolution_id=row_id_in_range(resolution_id))
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.vote(membership=membership, resolution=resolution, choice=data.validated_data["choice"])
        return _resolution_answer(membership, resolution)


class ResolutionExecuteApi(GroupMoneyApi):
    @money_endpoint(
        summary="Pay a passed resolution into the beneficiary's wallet (an official who did not propose it)",
        request=None,
        responses={
            200: ResolutionSerializer,
            404: RESOLUTION_NOT_FOUND,
            409: OpenApiResponse(description="`resolution_state`: it has not passed, or it is paid already."),
            422: OpenApiResponse(
                description="`insufficient_funds`: the fund, or the pot beyond the open cycles' payouts, holds less."
            ),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id, resolution_id):
        membership = membership_of(user=request.user, group_id=group_id)
        resolution = selectors.resolution_in(group=membership.group, resolution_id=row_id_in_range(resolution_id))
        require_pin(request)
        services.execute_resolution(actor=membership, resolution=resolution)
        return _resolution_answer(membership, resolution)


class WelfareFundApi(GroupMoneyApi):
    @extend_schema(
        summary="The welfare fund: its dues, balance and the dues paid (officials see everyone's)",
        responses={200: WelfareFundSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(WelfareFundSerializer(selectors.welfare_fund(membership=membership)).data)


class WelfarePayApi(GroupMoneyApi):
    @money_endpoint(
        summary="Pay my welfare-fund dues for one cycle from my wallet",
        request=WelfarePayInputSerializer,
        responses={
            201: WelfareContributionSerializer,
            404: OpenApiResponse(description="`group_not_found`: no such cycle in this group."),
            409: OpenApiResponse(description="`welfare_already_paid`, or `group_state` (no welfare fund)."),
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = WelfarePayInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cycle = selectors.cycle_in(group=membership.group, number=data.validated_data["cycle"])
        require_pin(request)
        paid = services.pay_welfare(membership=membership, cycle=cycle)
        return Response(WelfareContributionSerializer(paid).data, status=status.HTTP_201_CREATED)


class CreditApi(GroupMoneyApi):
    @extend_schema(
        summary="My part-payments held by the group (groups that take them)",
        responses={200: CreditSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        group = membership.group
        return Response(
            CreditSerializer(
                {
                    "allowed": group.allow_partial_payments,
                    "balance": round_money(selectors.credit_balance(membership=membership), group.currency),
                    "currency": group.currency,
                }
            ).data
        )

    @money_endpoint(
        summary="Pay any amount towards my dues; it settles whole dues, oldest first, as far as my credit reaches",
        request=PartPaymentInputSerializer,
        responses={
            200: PartPaymentSerializer,
            409: OpenApiResponse(description="`group_state`: the group takes whole dues only, or is not running."),
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = PartPaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = parse_group_amount(data.validated_data["amount"], membership.group, "amount")
        require_pin(request)
        settled, balance = services.pay_in_part(membership=membership, amount=amount)
        return Response(
            PartPaymentSerializer(
                {
                    "paid_in": amount,
                    "settled": round_money(settled.total, membership.group.currency),
                    "penalties": [p.pk for p in settled.penalties],
                    "contributions": [c.pk for c in settled.contributions],
                    "balance": round_money(balance, membership.group.currency),
                    "currency": membership.group.currency,
                }
            ).data
        )


def _plan_answer(group) -> Response:
    plan = effective_plan(group)
    return Response(
        PlanSerializer(
            {
                "plan": group.plan,
                "effective_plan": plan,
                "billing": group.plan_billing,
                "paid_through": group.plan_paid_through,
                "limits": limits_of(plan),
                "prices": {name: price_of(name, group.currency) for name in Plan.values},
            }
        ).data
    )


class GroupPlanApi(GroupMoneyApi):
    @extend_schema(
        summary="The group's plan, what it allows and what each plan costs",
        responses={200: PlanSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return _plan_answer(membership.group)

    @money_endpoint(
        summary="Choose the plan and where it is billed from (the chair); a paid plan with no month paid is billed now",
        request=PlanChangeSerializer,
        responses={
            200: PlanSerializer,
            403: OpenApiResponse(description="`chair_only`, or the PIN errors."),
            409: OpenApiResponse(description="`plan_not_sold` in the group's currency, or `group_state`."),
            422: OpenApiResponse(description="`insufficient_funds`: the chair's wallet or the pot holds too little."),
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = PlanChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_pin(request)
        group = services.change_plan(
            actor=membership, plan=data.validated_data["plan"], billing=data.validated_data["billing"]
        )
        return _plan_answer(group)


# --- savings groups: top-ups and share-outs -------------------------------------------------------------------

SHARE_OUT_NOT_FOUND = OpenApiResponse(description="`share_out_not_found` or `group_not_found`.")


class TopUpApi(GroupMoneyApi):
    @extend_schema(
        summary="My savings top-ups not yet shared out (savings groups)",
        responses={200: SavingsTopUpSerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(SavingsTopUpSerializer(selectors.top_ups_of(membership=membership), many=True).data)

    @money_endpoint(
        summary="Save more than the contribution, from my wallet (savings groups that take top-ups)",
        request=SavingsTopUpInputSerializer,
        responses={
            201: SavingsTopUpSerializer,
            409: OpenApiResponse(description="`group_state`: the group takes no top-ups, or is not running."),
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = SavingsTopUpInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = parse_group_amount(data.validated_data["amount"], membership.group, "amount")
        require_pin(request)
        top_up = services.top_up_savings(membership=membership, amount=amount)
        return Response(SavingsTopUpSerializer(top_up).data, status=status.HTTP_201_CREATED)


class ShareOutPreviewApi(GroupMoneyApi):
    @extend_schema(
        summary="The share-out as it would be on the period's share-out day, with what the pot holds now "
        "(officials see every saver's part, members their own)",
        responses={
            200: ShareOutPreviewSerializer,
            409: OpenApiResponse(description="`group_state`: not a running savings group."),
            **NOT_MEMBER,
        },
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(ShareOutPreviewSerializer(selectors.share_out_preview(membership=membership)).data)


class ShareOutListApi(GroupMoneyApi):
    @extend_schema(
        summary="The group's share-outs, newest first, with your part and how it was computed",
        responses={200: ShareOutSerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        share_outs, mine = selectors.share_outs_visible_to(membership=membership)
        return Response(ShareOutSerializer(share_outs, many=True, context={"mine": mine}).data)


class ShareOutDetailApi(GroupMoneyApi):
    @extend_schema(
        summary="One share-out: the pot, every part (officials) or yours, and your statement of it",
        responses={200: ShareOutSerializer, 404: SHARE_OUT_NOT_FOUND},
    )
    def get(self, request, group_id, number):
        membership = membership_of(user=request.user, group_id=group_id)
        share_outs, mine = selectors.share_outs_visible_to(membership=membership, number=number)
        return Response(ShareOutSerializer(share_outs[0], context={"mine": mine}).data)


class PayoutDestinationApi(GroupMoneyApi):
    @extend_schema(
        summary="Where my payouts and share-outs from this group go (the wallet unless I chose otherwise)",
        responses={200: PayoutDestinationSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(PayoutDestinationSerializer(selectors.payout_destination_of(membership=membership)).data)

    @money_endpoint(
        summary="Choose where my payouts and share-outs go: my wallet, a linked bank account or an M-Pesa number "
        "(they reach the wallet, then continue as a withdrawal, fee and all)",
        request=PayoutDestinationInputSerializer,
        responses={
            200: PayoutDestinationSerializer,
            404: OpenApiResponse(description="`not_found`: no such linked bank account of yours."),
            409: OpenApiResponse(
                description="`group_state`: the account or M-Pesa does not take the group's currency."
            ),
        },
    )
    def put(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        data = PayoutDestinationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bank_account = None
        if data.validated_data.get("bank_account"):
            bank_account = bank_account_of(user_id=request.user.pk, pk=data.validated_data["bank_account"])
            if bank_account is None:
                raise NotFound("No such bank account.")
        require_pin(request)
        services.set_payout_destination(
            membership=membership,
            kind=data.validated_data["kind"],
            bank_account=bank_account,
            phone_number=data.validated_data.get("phone_number", ""),
        )
        return Response(PayoutDestinationSerializer(selectors.payout_destination_of(membership=membership)).data)


# --- the M-Pesa paybill -------------------------------------------------------------------------------------------

PAYBILL_PAYMENT_NOT_FOUND = OpenApiResponse(description="`paybill_payment_not_found` or `group_not_found`.")


class PaybillApi(GroupMoneyApi):
    @extend_schema(
        summary="The group's M-Pesa paybill: the number, the group's account and yours, and the payments received",
        responses={200: PaybillSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(PaybillSerializer(selectors.paybill_of(membership=membership)).data)

    @extend_schema(
        summary="Turn the M-Pesa paybill on for the group (the chair; KES groups): it gets its account number",
        request=None,
        responses={
            200: PaybillSerializer,
            403: OpenApiResponse(description="`chair_only`."),
            409: OpenApiResponse(description="`group_state`: not a KES group, or it has finished."),
        },
    )
    def post(self, request, group_id):
        membership = membership_of(user=request.user, group_id=group_id)
        services.enable_paybill(actor=membership)
        membership = membership_of(user=request.user, group_id=group_id)
        return Response(PaybillSerializer(selectors.paybill_of(membership=membership)).data)


class PaybillAssignApi(GroupMoneyApi):
    @extend_schema(
        summary="Say whose an unmatched paybill payment is (an official); another official confirms it",
        request=PaybillAssignInputSerializer,
        responses={
            200: PaybillPaymentSerializer,
            404: PAYBILL_PAYMENT_NOT_FOUND,
            409: OpenApiResponse(description="`paybill_state`: it is applied already; `group_state`."),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id, payment_id):
        membership = membership_of(user=request.user, group_id=group_id)
        payment = selectors.paybill_payment_in(group=membership.group, payment_id=row_id_in_range(payment_id))
        data = PaybillAssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_in(group=membership.group, membership_id=data.validated_data["membership"])
        payment = services.propose_assignment(actor=membership, payment=payment, membership=member)
        return Response(PaybillPaymentSerializer(payment).data)


class PaybillConfirmApi(GroupMoneyApi):
    @extend_schema(
        summary="Confirm another official's assignment: the money goes to the member and pays their oldest dues",
        request=None,
        responses={
            200: PaybillPaymentSerializer,
            404: PAYBILL_PAYMENT_NOT_FOUND,
            409: OpenApiResponse(description="`paybill_state`: nothing proposed, or applied already."),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id, payment_id):
        membership = membership_of(user=request.user, group_id=group_id)
        payment = selectors.paybill_payment_in(group=membership.group, payment_id=row_id_in_range(payment_id))
        payment = services.confirm_assignment(actor=membership, payment=payment)
        return Response(PaybillPaymentSerializer(payment).data)
