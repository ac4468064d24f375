from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from groups import meetings, selectors, services
from groups.hooks import DUES_PAYMENT, announce
from groups.models import GroupMessage, Membership, SavingsGroup
from groups.openapi import NOT_MEMBER, OFFICIALS
from groups.serializers import (
    CancelInputSerializer,
    GroupInputSerializer,
    GroupSerializer,
    InviteInputSerializer,
    JoinInputSerializer,
    JoinOutputSerializer,
    MeetingInputSerializer,
    MeetingRecordSerializer,
    MeetingSerializer,
    MemberChangeSerializer,
    MembershipSerializer,
    MessageInputSerializer,
    MessageSerializer,
)
from payments.endpoints import money_endpoint, require_pin


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


class InviteThrottle(UserRateThrottle):
    scope = "group_invites"


class GroupInvitesApi(APIView):
    throttle_classes = [InviteThrottle]

    @extend_schema(
        summary="Invite someone to a forming group by email or phone (officials)",
        description=(
            "Someone with a Pamoja account is told in the app; anyone else receives the invite code by email or SMS. "
            "The answer is the same either way, and one invite per group and address is sent."
        ),
        request=InviteInputSerializer,
        responses={
            202: OpenApiResponse(description="Sent (or already sent)."),
            409: OpenApiResponse(description="`group_state`: the group is not forming."),
            **OFFICIALS,
        },
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        data = InviteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.send_invite(actor=membership, **data.validated_data)
        return Response(status=status.HTTP_202_ACCEPTED)


class GroupDuesApi(APIView):
    @money_endpoint(
        summary="Pay the group's security deposit and registration fee from my wallet",
        request=None,
        responses={
            200: GroupSerializer,
            409: OpenApiResponse(description="`group_state` or `idempotency_key_in_use`."),
        },
    )
    def post(self, request, group_id):
        membership = selectors.membership_of(user=request.user, group_id=group_id)
        require_pin(request)
        announce(DUES_PAYMENT, membership=membership)
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
