"""Every write to a savings group: create, change, join, leave, roles, the payout order, start, cancel, messages."""

import logging
import secrets
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from core.clock import local_today
from groups import rotation
from groups.errors import (
    AlreadyMemberError,
    ChairMustHandOverError,
    GroupFullError,
    GroupNotReadyError,
    GroupSettingsLockedError,
    GroupStateError,
    InviteCodeInvalidError,
    NotAnOfficialError,
    NotTheChairError,
    PlanLimitError,
)
from groups.hooks import DUES_RETURNED, GROUP_STARTED, announce
from groups.models import (
    MONEY_SETTINGS,
    GroupKind,
    GroupMessage,
    GroupScheme,
    GroupStatus,
    Membership,
    MembershipStatus,
    PayoutOrder,
    Role,
    SavingsGroup,
)
from groups.notices import as_sentence, group_context, name_of
from groups.plans import effective_plan, member_cap
from notifications import live
from notifications.catalog import Channel
from notifications.services import notify, notify_address

logger = logging.getLogger("pamoja.groups")

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones
INVITE_LENGTH = 12  # 32**12 = 2**60 codes


def new_invite_code() -> str:
    return "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))


def require_official(membership: Membership) -> None:
    if not membership.is_official:
        raise NotAnOfficialError()


def require_chair(membership: Membership) -> None:
    if not (membership.is_active and membership.role == Role.CHAIR):
        raise NotTheChairError()


def _check_money_settings(fields: dict[str, Any]) -> None:
    if fields.get("kind") == GroupKind.AJO and fields.get("registration_fee"):
        raise GroupStateError("An ajo circle takes a security deposit, not a registration fee.")
    if fields.get("kind") == GroupKind.CHAMA and fields.get("security_deposit"):
        raise GroupStateError("A chama takes a registration fee, not a security deposit.")
    if fields.get("scheme") == GroupScheme.SAVINGS:
        if fields.get("kind") != GroupKind.CHAMA:
            raise GroupStateError("A savings group is a chama; an ajo circle rotates its pot.")
        start, share_out_on = fields.get("start_date"), fields.get("share_out_date")
        if start and share_out_on and not start < share_out_on <= start + relativedelta(years=2):
            raise GroupStateError("The first share-out falls after the first due date, and within two years of it.")
    elif fields.get("share_out_date") or fields.get("allow_top_ups"):
        raise GroupStateError("Only a savings group has a share-out date or takes top-ups.")


def _with_scheme_defaults(fields: dict[str, Any]) -> dict[str, Any]:
    """A savings group without a share-out date shares out a year after its first due date (the day before the
    anniversary, so a monthly group saves twelve times); a rotating one has none."""
    if fields.get("scheme") == GroupScheme.SAVINGS and not fields.get("share_out_date") and fields.get("start_date"):
        return {**fields, "share_out_date": fields["start_date"] + relativedelta(years=1, days=-1)}
    return fields


def create_group(*, creator, fields: dict[str, Any]) -> SavingsGroup:
    """Open a group in `forming`; the creator becomes its chair and first member. A random payout order commits
    to its seed now (sha256(seed) is published), so nobody can choose the seed after seeing who joined."""
    fields = _with_scheme_defaults(fields)
    _check_money_settings(fields)
    with transaction.atomic():
        group = SavingsGroup(created_by=creator, invite_code=new_invite_code(), **fields)
        if group.payout_order == PayoutOrder.RANDOM:
            group.seed = rotation.new_seed()
            group.seed_commitment = rotation.commitment(group.seed)
        group.full_clean(exclude=["invite_code"])
        group.save()
        Membership.objects.create(group=group, user=creator, role=Role.CHAIR)
    return group


def update_group(*, actor: Membership, changes: dict[str, Any]) -> SavingsGroup:
    """Officials change the group. Money-shaping settings only while it is forming, and the deposit, fee and
    currency only until someone has paid their dues."""
    require_official(actor)
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=actor.group_id)
        money_changes = sorted(name for name in changes if name in MONEY_SETTINGS)
        if money_changes and actor.role != Role.CHAIR:
            raise NotTheChairError("Only the chair changes the group's money settings.")
        if money_changes and group.status != GroupStatus.FORMING:
            raise GroupSettingsLockedError(details={"fields": money_changes})
        if group.status in (GroupStatus.COMPLETED, GroupStatus.CANCELLED):
            raise GroupStateError("A finished group cannot change.")
        if "rules" in changes and group.status != GroupStatus.FORMING and changes["rules"] != group.rules:
            raise GroupSettingsLockedError(
                "Once the group runs, its rules change by the members' vote (a rule_change resolution).",
                details={"fields": ["rules"]},
            )
        paid_fields = {"currency", "security_deposit", "registration_fee", "kind"} & set(changes)
        if paid_fields and group.memberships.filter(dues_paid_at__isnull=False).exists():
            raise GroupSettingsLockedError(
                "Members have paid their dues; the deposit, fee and currency can no longer change.",
                details={"fields": sorted(paid_fields)},
            )
        if changes.get("payout_order") == PayoutOrder.RANDOM and not group.seed:
            group.seed = rotation.new_seed()
            group.seed_commitment = rotation.commitment(group.seed)
        if changes.get("scheme") == GroupScheme.ROTATING:
            changes = {"share_out_date": None, "allow_top_ups": False, **changes}
        for name, value in changes.items():
            setattr(group, name, value)
        settings_now = _with_scheme_defaults({name: getattr(group, name) for name in MONEY_SETTINGS})
        group.share_out_date = settings_now["share_out_date"]
        _check_money_settings(settings_now)
        taken = group.memberships.filter(status=MembershipStatus.ACTIVE).aggregate(total=Sum("slots"))["total"] or 0
        if group.member_limit < taken:
            raise GroupStateError(f"{taken} turns are already taken; the limit cannot go below that.")
        group.full_clean()
        group.save()
        return group


def change_rules(*, group: SavingsGroup, rules: str) -> SavingsGroup:
    """The group's written rules as its members voted them (contributions executes a passed rule change)."""
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=group.pk)
        if group.status in (GroupStatus.COMPLETED, GroupStatus.CANCELLED):
            raise GroupStateError("A finished group cannot change.")
        group.rules = rules
        group.save(update_fields=["rules", "updated_at"])
        return group


def rotate_invite_code(*, actor: Membership) -> SavingsGroup:
    """A new code; the old one stops working at once."""
    require_chair(actor)
    group = actor.group
    if group.status != GroupStatus.FORMING:
        raise GroupStateError("Only a forming group takes new members.")
    group.invite_code = new_invite_code()
    group.save(update_fields=["invite_code", "updated_at"])
    return group


def send_invite(*, actor: Membership, email: str = "", phone_number: str = "") -> None:
    """Invite someone to a forming group by email or phone (officials). Someone with a Pamoja account is told in
    the app (and by their own channels); anyone else gets the invite code by email or SMS. Either way the answer
    is the same, so it never says who has an account; one invite per group and address is sent."""
    require_official(actor)
    group = actor.group
    if group.status != GroupStatus.FORMING:
        raise GroupStateError("Only a forming group takes new members.")
    context = {**group_context(group), "inviter": name_of(actor.user), "invite_code": group.invite_code}
    key = f"invite:{group.pk}"
    invitee = User.objects.filter(email=User.objects.normalize_email(email)).first() if email else None
    if invitee is None and phone_number:
        invitee = User.objects.filter(phone_number=phone_number).first()
    if invitee is not None:
        if not group.memberships.filter(user=invitee).exclude(status=MembershipStatus.LEFT).exists():
            notify(user=invitee, event="group_invite", context=context, key=key)
        return
    channel, address = (Channel.EMAIL, email) if email else (Channel.SMS, phone_number)
    notify_address(channel=channel, address=address, event="group_invite", context=context, language="en", key=key)


def join_group(*, user, invite_code: str, slots: int = 1) -> Membership:
    code = invite_code.strip().upper().replace("-", "").replace(" ", "")
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).filter(invite_code=code).first()
        if group is None or group.status != GroupStatus.FORMING:
            raise InviteCodeInvalidError()
        if slots > group.max_slots_per_member:
            raise GroupStateError(f"This group allows at most {group.max_slots_per_member} payout turn(s) per member.")
        existing = group.memberships.filter(user=user).first()
        if existing is not None and existing.status != MembershipStatus.LEFT:
            raise AlreadyMemberError()
        taken = group.memberships.filter(status=MembershipStatus.ACTIVE).aggregate(total=Sum("slots"))["total"] or 0
        if taken + slots > group.member_limit:
            raise GroupFullError(details={"member_limit": group.member_limit, "taken": taken})
        if taken + slots > member_cap(group):
            raise PlanLimitError(
                "The group's plan takes no more members.",
                details={"plan": effective_plan(group), "feature": "members", "members": member_cap(group)},
            )
        if existing is not None:  # came back after leaving while the group was still forming
            existing.status = MembershipStatus.ACTIVE
            existing.role = Role.MEMBER
            existing.slots = slots
            existing.left_at = None
            existing.joined_at = timezone.now()
            existing.save(update_fields=["status", "role", "slots", "left_at", "joined_at"])
            return existing
        try:
            with transaction.atomic():
                return Membership.objects.create(group=group, user=user, slots=slots)
        except IntegrityError as exc:
            raise AlreadyMemberError() from exc


def leave_group(*, membership: Membership) -> Membership:
    """Leave a forming group (dues refunded). Once the rotation has started, a member's turn and dues are part of
    everyone's money: they stay until the group completes (officials can suspend)."""
    with transaction.atomic():
        # The group row first, then the membership: a start or cancel either finishes before this reads the
        # status, or waits until the member has gone (and start then builds the schedule without them).
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=membership.group_id)
        membership = Membership.objects.select_for_update(no_key=True, of=("self",)).get(pk=membership.pk)
        membership.group = group
        if membership.status == MembershipStatus.LEFT:
            raise GroupStateError("You have already left this group.")
        if membership.role == Role.CHAIR and membership.is_active:
            raise ChairMustHandOverError()
        if membership.group.status == GroupStatus.ACTIVE:
            raise GroupStateError("The rotation has started; you can leave once the group completes.")
        if membership.group.status == GroupStatus.FORMING:  # a finished group has already settled every deposit
            announce(DUES_RETURNED, membership=membership, reason="left the group")
        membership.status = MembershipStatus.LEFT
        membership.left_at = timezone.now()
        membership.chair_position = None
        membership.save(update_fields=["status", "left_at", "chair_position"])
        return membership


def change_member(
    *, actor: Membership, membership: Membership, role: str | None = None, status: str | None = None
) -> Membership:
    """The chair assigns roles (handing over the chair makes the old chair a member) and suspends or reinstates."""
    require_chair(actor)
    with transaction.atomic():
        # The group row first (as start, leave and dues do): a reinstatement never slips past a start unseen.
        SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=actor.group_id)
        members = {
            m.pk: m
            for m in Membership.objects.select_for_update(no_key=True, of=("self",))
            .filter(pk__in=[actor.pk, membership.pk])
            .order_by("pk")
        }
        actor, membership = members[actor.pk], members[membership.pk]
        require_chair(actor)  # again, under the lock: a chair who has just handed over is no longer one
        if membership.status == MembershipStatus.LEFT:
            raise GroupStateError("That member has left the group.")
        if status is not None:
            if membership.pk == actor.pk:
                raise GroupStateError("The chair cannot suspend themselves.")
            membership.status = status
        if role is not None:
            if membership.pk == actor.pk:
                raise GroupStateError("Hand the chair to another member instead.")
            if role == Role.CHAIR:
                if membership.status != MembershipStatus.ACTIVE:
                    raise GroupStateError("Only an active member can take the chair.")
                actor.role = Role.MEMBER
                actor.save(update_fields=["role"])
            membership.role = role
        if membership.status == MembershipStatus.SUSPENDED and membership.role != Role.MEMBER:
            membership.role = Role.MEMBER
        membership.save(update_fields=["role", "status"])
        return membership


def set_chair_order(*, actor: Membership, user_ids: list[str]) -> list[Membership]:
    """The chair's payout order (method `chair`), before start: every active member exactly once."""
    require_chair(actor)
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=actor.group_id)
        if group.status != GroupStatus.FORMING:
            raise GroupSettingsLockedError("The payout order is fixed once the group starts.")
        if group.payout_order != PayoutOrder.CHAIR:
            raise GroupStateError("This group's payout order is not set by the chair.")
        members = list(group.memberships.filter(status=MembershipStatus.ACTIVE))
        by_user = {str(m.user_id): m for m in members}
        if sorted(user_ids) != sorted(by_user) or len(set(user_ids)) != len(user_ids):
            raise GroupStateError("List every active member exactly once.", details={"members": sorted(by_user)})
        for position, user_id in enumerate(user_ids, start=1):
            by_user[user_id].chair_position = position
            by_user[user_id].save(update_fields=["chair_position"])
        return [by_user[u] for u in user_ids]


def planned_order(group: SavingsGroup, members: list[Membership]) -> list[tuple[Membership, int]]:
    """(member, slot) in payout order. Each slot is the token `"<user id>:<slot>"` in the random draw."""
    tokens = {f"{m.user_id}:{slot}": (m, slot) for m in members for slot in range(1, m.slots + 1)}
    if group.payout_order == PayoutOrder.RANDOM:
        return [tokens[token] for token in rotation.draw_order(list(tokens), group.seed)]
    if group.payout_order == PayoutOrder.CHAIR:
        ordered = sorted(members, key=lambda m: (m.chair_position is None, m.chair_position or 0, m.joined_at, m.pk))
    else:
        ordered = sorted(members, key=lambda m: (m.joined_at, m.pk))
    return [(m, slot) for slot in range(1, max(m.slots for m in members) + 1) for m in ordered if m.slots >= slot]


def start_group(*, actor: Membership) -> SavingsGroup:
    """Fix the rotation and create the schedule: at least two members, every one's dues paid, the first due date
    not yet past in the group's time zone."""
    require_chair(actor)
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=actor.group_id)
        if group.status != GroupStatus.FORMING:
            raise GroupStateError("The group has already started or finished.")
        # Read after the group lock: leave, join and dues lock the group row first too, so these are the members
        # as of now, and none of them can leave or change their dues until the schedule is committed.
        members = list(
            group.memberships.select_for_update(no_key=True, of=("self",))
            .select_related("user")
            .filter(status=MembershipStatus.ACTIVE)
            .order_by("pk")
        )
        problems: dict[str, str | list[str]] = {}
        if len(members) < 2:
            problems["members"] = "A group needs at least two members."
        unpaid = [str(m.user_id) for m in members if group.dues and m.dues_paid_at is None]
        if unpaid:
            problems["dues_unpaid"] = unpaid
        if group.start_date < local_today(group.tz):
            problems["start_date"] = "The first due date has passed; set a new start date."
        if group.payout_order == PayoutOrder.CHAIR and any(m.chair_position is None for m in members):
            problems["payout_order"] = "Set the payout order for every member first."
        if problems:
            raise GroupNotReadyError(details=problems)
        order = planned_order(group, members)
        group.status = GroupStatus.ACTIVE
        group.started_at = timezone.now()
        group.save(update_fields=["status", "started_at", "updated_at"])
        announce(GROUP_STARTED, group=group, order=order)
        for membership in members:
            notify(
                user=membership.user,
                event="group_started",
                context={**group_context(group), "first_due_date": group.start_date.isoformat()},
                key=f"started:{group.pk}",
            )
    return group


def cancel_group(*, group: SavingsGroup, reason: str, actor: Membership | None = None) -> SavingsGroup:
    """Cancel a group that never started; every member's dues go back to their wallet, and every member still in
    it is told why (whoever cancels: the chair, or housekeeping for a group that never started)."""
    if actor is not None:
        require_chair(actor)
    with transaction.atomic():
        group = SavingsGroup.objects.select_for_update(no_key=True, of=("self",)).get(pk=group.pk)
        if group.status != GroupStatus.FORMING:
            raise GroupStateError("Only a group that has not started can be cancelled.")
        # Dues are paid with the group row locked, so every payment is either committed (and refunded here, once:
        # the refund's key is the membership and its dues_paid_at) or waits and then finds the group cancelled.
        members = list(
            group.memberships.select_for_update(no_key=True, of=("self",))
            .select_related("group", "user")
            .order_by("pk")
        )
        for membership in members:
            announce(DUES_RETURNED, membership=membership, reason=reason)
        group.status = GroupStatus.CANCELLED
        group.finished_at = timezone.now()
        group.save(update_fields=["status", "finished_at", "updated_at"])
        for membership in members:
            if membership.status != MembershipStatus.LEFT:
                notify(
                    user=membership.user,
                    event="group_cancelled",
                    context={**group_context(group), "reason": as_sentence(reason)},
                    key=f"cancelled:{group.pk}",
                )
    return group


def post_message(*, membership: Membership, body: str) -> GroupMessage:
    """Post to the group's board; members with the app open see it at once (the live socket), once it commits."""
    if not membership.is_active:
        raise GroupStateError("A suspended member cannot post to the group.")
    message = GroupMessage.objects.create(group_id=membership.group_id, author_id=membership.user_id, body=body)
    readers = list(
        Membership.objects.filter(group_id=membership.group_id, status=MembershipStatus.ACTIVE).values_list(
            "user_id", flat=True
        )
    )
    live_message = {
        "kind": "group_message",
        "group": str(membership.group_id),
        "message": {
            "id": message.pk,
            "author": str(message.author_id),
            "body": message.body,
            "created_at": message.created_at.isoformat(),
        },
    }
    transaction.on_commit(lambda: live.publish(readers, live_message))
    return message


def mark_completed(*, group: SavingsGroup) -> SavingsGroup:
    """The last payout is made and every deposit settled: the group is finished. The caller holds the group row."""
    group.status = GroupStatus.COMPLETED
    group.finished_at = timezone.now()
    group.save(update_fields=["status", "finished_at", "updated_at"])
    return group


def mark_inactive(*, group: SavingsGroup, inactive: bool) -> None:
    """Flag a running group where nobody has paid for a long time (officials are told), or clear the flag."""
    group.flagged_inactive_at = timezone.now() if inactive else None
    group.save(update_fields=["flagged_inactive_at"])


def record_dues(*, membership: Membership, deposit: Decimal, registration_fee: Decimal) -> Membership:
    """What the member has paid of the group's dues (all zero: refunded). The money side posts the movement and
    calls this in the same transaction, with the group row and the membership locked."""
    paid = deposit + registration_fee
    membership.dues_paid_at = timezone.now() if paid else None
    membership.deposit_paid = deposit
    membership.registration_fee_paid = registration_fee
    membership.save(update_fields=["dues_paid_at", "deposit_paid", "registration_fee_paid"])
    return membership
