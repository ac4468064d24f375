from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import authorize_money_movement
from groups import selectors, services
from groups.models import GroupMessage, Membership, SavingsGroup
from groups.money import pay_group_dues
from groups.serializers import (
    CancelInputSerializer,
    ChairOrderSerializer,
    GroupInputSerializer,
    GroupSerializer,
    JoinInputSerializer,
    JoinOutputSerializer,
    MemberChangeSerializer,
    MembershipSerializer,
    MessageInputSerializer,
    MessageSerializer,
    RotationSerializer,
    SwapInputSerializer,
    SwapSerializer,
)
from payments.idempotency import idempotent
from payments.views import IDEMPOTENCY_KEY, MONEY_ERRORS, PIN_TOKEN

NOT_MEMBER = {404: OpenApiResponse(description="`group_not_found`: no such group, or you are not a member.")}
OFFICIALS = {403: OpenApiResponse(description="`officials_only` or `chair_only`."), **NOT_MEMBER}


def group_answer(membership, status_code=status.HTTP_200_OK) -> Response:
    group = membership.group
    return Response(GroupSerializer(group, context={"membership": membership}).data, status=status_code)


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
        responses={200: GroupSerializer, **OFFICIALS},
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
        responses={200: MembershipSerializer, **OFFICIALS},
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
