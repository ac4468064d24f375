from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import authorize_money_movement
from contributions import statements
from contributions.renderers import StatementCsvRenderer, StatementPdfRenderer
from core.clock import local_today
from core.money import AmountError, parse_amount
from groups import loans, meetings, recorded_payments, reports, selectors, services
from groups.errors import NotAnOfficialError
from groups.models import GroupMessage, Membership, SavingsGroup
from groups.money import pay_group_dues
from groups.serializers import (
    CancelInputSerializer,
    ChairOrderSerializer,
    DecisionInputSerializer,
    FineInputSerializer,
    GroupInputSerializer,
    GroupSerializer,
    GuaranteeSerializer,
    JoinInputSerializer,
    JoinOutputSerializer,
    LoanApplicationSerializer,
    LoanDetailSerializer,
    LoanListSerializer,
    MeetingInputSerializer,
    MeetingRecordSerializer,
    MeetingSerializer,
    MemberChangeSerializer,
    MembershipSerializer,
    MessageInputSerializer,
    MessageSerializer,
    PenaltySerializer,
    RecordedPaymentInputSerializer,
    RecordedPaymentSerializer,
    RejectInputSerializer,
    RepaymentInputSerializer,
    RotationSerializer,
    StatementQuerySerializer,
    StatementSerializer,
    SwapInputSerializer,
    SwapSerializer,
)
from payments.idempotency import idempotent
from payments.views import IDEMPOTENCY_KEY, MONEY_ERRORS, PIN_TOKEN

NOT_MEMBER = {404: OpenApiResponse(description="`group_not_found`: no such group, or you are not a member.")}
OFFICIALS = {403: OpenApiResponse(description="`officials_only` or `chair_only`."), **NOT_MEMBER}


def group_answer(membership, status_code=status.HTTP_200_OK) -> Response:
    context = {"membership": membership, "with_figures": True}
    return Response(GroupSerializer(membership.group, context=context).data, status=status_code)


class GroupListApi(ListAPIView):
    queryset = SavingsGroup.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = GroupSerializer

    def get_queryset(self):
        return selectors.groups_of(user=self.request.user)

    @extend_schema(summary="My groups, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Open a chama or an ajo circle; you become its chair",
        request=GroupInputSerializer,
        responses={201: GroupSerializer, 409: OpenApiResponse(description="`group_state`: inconsistent settings.")},
    )
    def post(self, request):
        data = GroupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.create_group(creator=request.user, fields=data.validated_data)
        return group_answer(selectors.membership_of(user=request.user, group_id=group.pk), status.HTTP_201_CREATED)


class GroupDetailApi(APIView):
    @extend_schema(summary="A group I belong to", responses={200: GroupSerializer, **NOT_MEMBER})
    def get(self, request, group_id):
        return group_answer(selectors.membership_of(user=request.user, group_id=group_id))

    @extend_schema(
        summary="Change a group (officials; money settings only by the chair, only before start)",
        request=GroupInputSerializer(partial=True),
        responses={200: GroupSerializer, 409: OpenApiResponse(description="`group_settings_locked`."), **OFFICIALS},
    )
    def patch(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = GroupInputSerializer(instance=membership.group, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        membership.group = services.update_group(actor=membership, changes=data.validated_data)
        return group_answer(membership)


class GroupJoinApi(APIView):
    throttle_scope = "auth"

    @extend_schema(
        summary="Join a forming group with its invite code",
        request=JoinInputSerializer,
        responses={
            201: JoinOutputSerializer,
            404: OpenApiResponse(description="`invite_code_invalid`."),
            409: OpenApiResponse(description="`already_member`, `group_full` or `group_state`."),
        },
    )
    def post(self, request):
        data = JoinInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.join_group(user=request.user, **data.validated_data)
        return Response(JoinOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class GroupStartApi(APIView):
    @extend_schema(
        summary="Start the rotation (chair): fixes the payout order and creates the schedule",
        request=None,
        responses={
            200: GroupSerializer,
            409: OpenApiResponse(description="`group_not_ready` (details say why) or `group_state`."),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        membership.group = services.start_group(actor=membership)
        return group_answer(membership)


class GroupCancelApi(APIView):
    @extend_schema(
        summary="Cancel a group that has not started (chair); everyone's dues are refunded",
        request=CancelInputSerializer,
        responses={200: GroupSerializer, 409: OpenApiResponse(description="`group_state`."), **OFFICIALS},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership.group = services.cancel_group(
            group=membership.group, actor=membership, reason=data.validated_data["reason"]
        )
        return group_answer(membership)


class GroupInviteApi(APIView):
    @extend_schema(
        summary="Issue a new invite code (chair); the old one stops working",
        request=None,
        responses={200: GroupSerializer, 409: OpenApiResponse(description="`group_state`: not forming."), **OFFICIALS},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        membership.group = services.rotate_invite_code(actor=membership)
        return group_answer(membership)


class GroupDuesApi(APIView):
    @extend_schema(
        summary="Pay the group's security deposit and registration fee from my wallet",
        request=None,
        responses={200: GroupSerializer, 409: OpenApiResponse(description="`group_state`."), **MONEY_ERRORS},
        parameters=[IDEMPOTENCY_KEY, PIN_TOKEN],
    )
    @idempotent
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        authorize_money_movement(user=request.user, pin_token=request.headers.get("X-Pin-Token"))
        pay_group_dues(membership=membership)
        return group_answer(selectors.membership_of(user=request.user, group_id=group_id))


class GroupLeaveApi(APIView):
    @extend_schema(
        summary="Leave a group that has not started; dues are refunded",
        request=None,
        responses={204: None, 409: OpenApiResponse(description="`chair_must_hand_over` or `group_state`.")},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        services.leave_group(membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListApi(ListAPIView):
    queryset = Membership.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = MembershipSerializer

    def get_queryset(self):
        membership = selectors.membership_of(user=self.request.user, group_id=self.kwargs["group_id"])
        return selectors.members_of(group=membership.group)

    @extend_schema(summary="The group's members and their roles", responses={200: MembershipSerializer(many=True)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MemberDetailApi(APIView):
    @extend_schema(
        summary="Give a member a role (handing over the chair), suspend or reinstate them (chair)",
        request=MemberChangeSerializer,
        responses={200: MembershipSerializer, 409: OpenApiResponse(description="`group_state`."), **OFFICIALS},
    )
    def patch(self, request, group_id, membership_id):
        actor = selectors.membership_of(user=request.user, group_id=group_id)
        target = selectors.member_in(group=actor.group, membership_id=membership_id)
        data = MemberChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.change_member(actor=actor, membership=target, **data.validated_data)
        return Response(MembershipSerializer(changed).data)


class RotationApi(APIView):
    @extend_schema(
        summary="The payout order, with the random draw's commitment and (after start) its seed",
        responses={200: RotationSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        return Response(RotationSerializer(selectors.rotation_of(group=membership.group)).data)

    @extend_schema(
        summary="Set the payout order before start (chair; payout order `chair`)",
        request=ChairOrderSerializer,
        responses={200: RotationSerializer, 409: OpenApiResponse(description="`group_state`."), **OFFICIALS},
    )
    def put(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = ChairOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_chair_order(actor=membership, user_ids=[str(u) for u in data.validated_data["order"]])
        return Response(RotationSerializer(selectors.rotation_of(group=membership.group)).data)


class SwapListApi(APIView):
    @extend_schema(summary="Swap requests in this group", responses={200: SwapSerializer(many=True), **NOT_MEMBER})
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        return Response(SwapSerializer(selectors.swaps_of(group=membership.group), many=True).data)

    @extend_schema(
        summary="Ask the holder of another turn to swap with yours",
        request=SwapInputSerializer,
        responses={201: SwapSerializer, 409: OpenApiResponse(description="`swap_not_allowed`."), **NOT_MEMBER},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = SwapInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        swap = services.request_swap(membership=membership, **data.validated_data)
        return Response(SwapSerializer(swap).data, status=status.HTTP_201_CREATED)


class SwapAnswerApi(APIView):
    accept = True

    @extend_schema(
        summary="Answer a swap request (accept or decline; the requester may decline to cancel it)",
        request=None,
        responses={200: SwapSerializer, 409: OpenApiResponse(description="`swap_not_allowed`."), **NOT_MEMBER},
    )
    def post(self, request, group_id, swap_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        swap = selectors.swap_in(group=membership.group, swap_id=swap_id)
        swap = services.answer_swap(membership=membership, swap=swap, accept=self.accept)
        return Response(SwapSerializer(swap).data)


class MessageListApi(ListAPIView):
    queryset = GroupMessage.objects.none()  # for the schema; get_queryset scopes to the caller
    serializer_class = MessageSerializer

    def get_queryset(self):
        membership = selectors.membership_of(user=self.request.user, group_id=self.kwargs["group_id"])
        return selectors.messages_of(group=membership.group)

    @extend_schema(summary="The group's messages, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Post a message to the group",
        request=MessageInputSerializer,
        responses={201: MessageSerializer, **NOT_MEMBER},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.post_message(membership=membership, body=data.validated_data["body"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


# --- meetings and fines -------------------------------------------------------------------------------------


class MeetingListApi(APIView):
    @extend_schema(summary="The group's meetings, latest first", responses={200: MeetingSerializer(many=True)})
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        return Response(MeetingSerializer(selectors.meetings_of(group=membership.group), many=True).data)

    @extend_schema(
        summary="Schedule a meeting (officials)",
        request=MeetingInputSerializer,
        responses={201: MeetingSerializer, **OFFICIALS},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = MeetingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = meetings.schedule_meeting(actor=membership, **data.validated_data)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)


class MeetingDetailApi(APIView):
    @extend_schema(summary="A meeting, its attendance and minutes", responses={200: MeetingSerializer, **NOT_MEMBER})
    def get(self, request, group_id, meeting_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        return Response(MeetingSerializer(selectors.meeting_in(group=membership.group, meeting_id=meeting_id)).data)

    @extend_schema(
        summary="Record attendance and minutes (officials); each absentee is fined once per meeting",
        request=MeetingRecordSerializer,
        responses={
            200: MeetingSerializer,
            409: OpenApiResponse(description="`group_state`: a cancelled meeting, or attendees who are not members."),
            **OFFICIALS,
        },
    )
    def patch(self, request, group_id, meeting_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        meeting = selectors.meeting_in(group=membership.group, meeting_id=meeting_id)
        data = MeetingRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = meetings.record_meeting(
            actor=membership,
            meeting=meeting,
            attendance={row["membership"]: row["status"] for row in data.validated_data["attendance"]},
            minutes=data.validated_data.get("minutes"),
        )
        return Response(MeetingSerializer(selectors.meeting_in(group=membership.group, meeting_id=meeting.pk)).data)


class FineListApi(APIView):
    @extend_schema(
        summary="Fines and penalties: officials see everyone's, members their own",
        responses={200: PenaltySerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
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
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = FineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = parse_group_amount(data.validated_data["amount"], membership.group, "amount")
        target = selectors.member_in(group=membership.group, membership_id=data.validated_data["membership"])
        fine = meetings.levy_fine(
            actor=membership, membership=target, amount=amount, reason=data.validated_data["reason"]
        )
        return Response(PenaltySerializer(fine).data, status=status.HTTP_201_CREATED)


def parse_group_amount(value, group, field: str):
    try:
        return parse_amount(value, group.currency)
    except AmountError as exc:
        raise ValidationError({field: [str(exc)]}) from exc


# --- loans --------------------------------------------------------------------------------------------------


class LoanListApi(APIView):
    @extend_schema(
        operation_id="groups_loans_list",
        summary="The group's loan book and its loans",
        responses={200: LoanListSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        group = membership.group
        return Response(
            LoanListSerializer({"book": loans.loan_book(group=group), "loans": selectors.loans_of(group=group)}).data
        )

    @extend_schema(
        summary="Apply for a loan (within the group's limit, with optional guarantors)",
        request=LoanApplicationSerializer,
        responses={201: LoanDetailSerializer, 409: OpenApiResponse(description="`loan_refused`."), **NOT_MEMBER},
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = LoanApplicationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = membership.group
        guarantors = [
            (
                selectors.member_in(group=group, membership_id=row["membership"]),
                parse_group_amount(row["amount"], group, "guarantors"),
            )
            for row in data.validated_data["guarantors"]
        ]
        loan = loans.apply_for_loan(
            membership=membership,
            principal=parse_group_amount(data.validated_data["amount"], group, "amount"),
            term_months=data.validated_data["term_months"],
            purpose=data.validated_data["purpose"],
            guarantors=guarantors,
        )
        return Response(LoanDetailSerializer(selectors.loan_in(group=group, loan_id=loan.pk)).data, status=201)


class LoanDetailApi(APIView):
    @extend_schema(
        summary="A loan's statement: schedule, payments, guarantees, decisions, payoff today",
        responses={200: LoanDetailSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id, loan_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        return Response(LoanDetailSerializer(selectors.loan_in(group=membership.group, loan_id=loan_id)).data)


class LoanActionApi(APIView):
    """approve / reject / disburse / write-off: officials other than the borrower."""

    action_name = ""

    @extend_schema(
        summary="An official's decision on a loan: approve, reject, disburse or vote to write off",
        request=DecisionInputSerializer,
        responses={200: LoanDetailSerializer, 409: OpenApiResponse(description="`loan_state`."), **OFFICIALS},
    )
    def post(self, request, group_id, loan_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        loan = selectors.loan_in(group=membership.group, loan_id=loan_id)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        if self.action_name in ("approve", "reject"):
            loans.decide_loan(actor=membership, loan=loan, approve=self.action_name == "approve", reason=reason)
        elif self.action_name == "disburse":
            loans.disburse_loan(actor=membership, loan=loan)
        else:
            loans.vote_write_off(actor=membership, loan=loan, reason=reason)
        return Response(LoanDetailSerializer(selectors.loan_in(group=membership.group, loan_id=loan.pk)).data)


class LoanRepayApi(APIView):
    @extend_schema(
        summary="Repay a loan from my wallet (late fees, then interest, then principal)",
        request=RepaymentInputSerializer,
        responses={
            200: LoanDetailSerializer,
            409: OpenApiResponse(description="`repayment_too_large` (details.payoff) or `loan_state`."),
            **MONEY_ERRORS,
        },
        parameters=[IDEMPOTENCY_KEY, PIN_TOKEN],
    )
    @idempotent
    def post(self, request, group_id, loan_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        loan = selectors.loan_in(group=membership.group, loan_id=loan_id)
        if loan.borrower_id != membership.pk:
            raise NotAnOfficialError("Only the borrower repays from their wallet; officials record other payments.")
        data = RepaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = parse_group_amount(data.validated_data["amount"], membership.group, "amount")
        authorize_money_movement(user=request.user, pin_token=request.headers.get("X-Pin-Token"))
        loans.repay_loan(loan=loan, amount=amount)
        return Response(LoanDetailSerializer(selectors.loan_in(group=membership.group, loan_id=loan.pk)).data)


class GuaranteeAnswerApi(APIView):
    accept = True

    @extend_schema(
        summary="Accept or decline guaranteeing a loan (accepting holds the amount on your savings)",
        request=None,
        responses={200: GuaranteeSerializer, 409: OpenApiResponse(description="`loan_state`, `loan_refused`.")},
    )
    def post(self, request, group_id, guarantee_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        guarantee = selectors.guarantee_in(group=membership.group, guarantee_id=guarantee_id)
        guarantee = loans.answer_guarantee(membership=membership, guarantee=guarantee, accept=self.accept)
        return Response(GuaranteeSerializer(guarantee).data)


# --- payments recorded by officials -------------------------------------------------------------------------


class RecordedPaymentListApi(APIView):
    @extend_schema(
        summary="Payments recorded by officials: officials see all, members their own",
        responses={200: RecordedPaymentSerializer(many=True), **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
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
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = RecordedPaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        payment = recorded_payments.record_payment(
            actor=membership,
            member=selectors.member_in(group=membership.group, membership_id=values["membership"]),
            amount=parse_group_amount(values["amount"], membership.group, "amount"),
            method=values["method"],
            receipt_number=values["receipt_number"],
            paid_on=values["paid_on"],
            applies_to=values["applies_to"],
            target_id=values.get("target"),
        )
        return Response(RecordedPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class RecordedPaymentConfirmApi(APIView):
    @extend_schema(
        summary="Confirm a recorded payment (a second official); it posts now",
        request=None,
        responses={200: RecordedPaymentSerializer, 409: OpenApiResponse(description="`recorded_payment_state`.")},
    )
    def post(self, request, group_id, payment_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        payment = selectors.recorded_payment_in(group=membership.group, payment_id=payment_id)
        return Response(
            RecordedPaymentSerializer(recorded_payments.confirm_payment(actor=membership, payment=payment)).data
        )


class RecordedPaymentRejectApi(APIView):
    @extend_schema(
        summary="Reject a recorded payment, with a reason (either official)",
        request=RejectInputSerializer,
        responses={200: RecordedPaymentSerializer, 409: OpenApiResponse(description="`recorded_payment_state`.")},
    )
    def post(self, request, group_id, payment_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        payment = selectors.recorded_payment_in(group=membership.group, payment_id=payment_id)
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rejected = recorded_payments.reject_payment(
            actor=membership, payment=payment, reason=data.validated_data["reason"]
        )
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

    query = StatementQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    end = query.validated_data.get("end") or local_today(group.tz)
    start = query.validated_data.get("start") or end - timedelta(days=90)
    if start > end:
        raise ValidationError({"start": ["The start comes after the end."]})
    return start, end


class GroupStatementApi(APIView):
    renderer_classes = STATEMENT_RENDERERS

    @extend_schema(
        summary="The group's statement (its pot) over a period, as JSON, CSV or PDF",
        parameters=STATEMENT_PARAMS,
        responses={200: StatementSerializer, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        start, end = statement_period(request, membership.group)
        return Response(statements.group_statement(group=membership.group, start=start, end=end).as_dict())


class MemberStatementApi(APIView):
    renderer_classes = STATEMENT_RENDERERS

    @extend_schema(
        summary="A member's statement with the group over a period (their own, or any member's for officials)",
        parameters=STATEMENT_PARAMS,
        responses={200: StatementSerializer, **OFFICIALS},
    )
    def get(self, request, group_id, membership_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        target = selectors.member_in(group=membership.group, membership_id=membership_id)
        if target.pk != membership.pk and not membership.is_official:
            raise NotAnOfficialError("Only officials see other members' statements.")
        start, end = statement_period(request, membership.group)
        return Response(statements.member_statement(membership=target, start=start, end=end).as_dict())


class GroupHealthApi(APIView):
    @extend_schema(
        summary="Group health: on-time rate, collected vs expected per cycle, arrears, defaulters, loan book",
        responses={200: OpenApiTypes.OBJECT, **NOT_MEMBER},
    )
    def get(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        return Response(reports.group_health(group=membership.group))


class DashboardApi(APIView):
    @extend_schema(
        summary="My home screen: total saved, next payout, upcoming dues, loans, and what needs action",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        return Response(reports.dashboard_of(user=request.user))
