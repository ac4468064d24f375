"""Spending the group's money by the members' vote: the welfare fund (a payout to a member in need) or the pot (a
group expense, paid to the member who spends it). An official proposes; every active member may vote once before
it closes; it passes with the group's quorum (votes cast, as a share of the members when it was proposed) and
majority (more than that share of the votes cast say yes). Then an official other than the proposer executes it:
the money moves once, under the resolution's row lock and the posting's key, however often or concurrently
execution is asked for. A resolution that fails, or is never executed, moves nothing."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contributions.errors import ResolutionStateError
from contributions.models import (
    MONEYLESS_RESOLUTIONS,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    ResolutionVote,
    VoteChoice,
)
from contributions.services.ledger import post_for_group, pot_of, welfare_of
from contributions.services.loans import lendable_balance
from contributions.services.share_outs import share_out_by_resolution
from core.errors import InsufficientFundsError
from groups.errors import GroupStateError, NotAnOfficialError
from groups.models import GroupStatus, Membership, MembershipStatus, SavingsGroup
from groups.notices import as_sentence, group_context, name_of
from groups.services import change_rules, require_official
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import LedgerTransaction, TransactionKind
from payments.services import Leg, get_wallet

MAX_VOTING_DAYS = 14


def _active_members(group: SavingsGroup) -> list[Membership]:
    return list(group.memberships.select_related("user").filter(status=MembershipStatus.ACTIVE).order_by("pk"))


def propose_resolution(
    *,
    actor: Membership,
    kind: str,
    amount: Decimal | None,
    beneficiary: Membership | None,
    reason: str,
    voting_days: int,
    new_rules: str = "",
) -> Resolution:
    """An official puts spending, a change of the written rules, or (savings groups) an early share-out to the
    vote; every active member is asked to vote."""
    require_official(actor)
    group = actor.group
    if group.status != GroupStatus.ACTIVE:
        raise GroupStateError("Only a running group votes on spending.")
    if kind == ResolutionKind.WELFARE_PAYOUT and group.welfare_contribution <= 0:
        raise GroupStateError("This group has no welfare fund.")
    if kind == ResolutionKind.SHARE_OUT and not group.is_savings:
        raise GroupStateError("Only a savings group shares out its pot.")
    if kind == ResolutionKind.RULE_CHANGE:
        if not new_rules.strip():
            raise ResolutionStateError("Write the rules as they would read after the change.")
        if new_rules == group.rules:
            raise ResolutionStateError("These are the group's rules already.")
    else:
        new_rules = ""
    if kind in MONEYLESS_RESOLUTIONS:
        amount, beneficiary = None, None
    elif amount is None or beneficiary is None:
        raise ResolutionStateError("Say how much is paid, and to which member.")
    elif not beneficiary.is_active:
        raise GroupStateError("The money can only go to an active member.")
    if not 1 <= voting_days <= MAX_VOTING_DAYS:
        raise ResolutionStateError(f"Voting lasts 1 to {MAX_VOTING_DAYS} days.")
    with transaction.atomic():
        members = _active_members(group)
        resolution = Resolution.objects.create(
            group=group,
            kind=kind,
            amount=amount,
            beneficiary=beneficiary,
            reason=reason,
            new_rules=new_rules,
            proposed_by=actor,
            eligible_voters=len(members),
            closes_at=timezone.now() + timedelta(days=voting_days),
        )
        context = {
            **group_context(group),
            "reason": as_sentence(reason),
            "resolution_id": str(resolution.pk),
            "closes_at": timezone.localtime(resolution.closes_at, group.tz).isoformat(timespec="minutes"),
        }
        event = "rules_proposed" if kind == ResolutionKind.RULE_CHANGE else "share_out_proposed"
        if amount is not None and beneficiary is not None:
            event = "resolution_proposed"
            context |= {"amount": money_text(amount, group.currency), "beneficiary": name_of(beneficiary.user)}
        for member in members:
            notify(user=member.user, event=event, context=context, key=f"resolution:{resolution.pk}")
    return resolution


def vote(*, membership: Membership, resolution: Resolution, choice: str) -> Resolution:
    """One vote per active member while it is open; the last member's vote decides it at once."""
    if not membership.is_active:
        raise GroupStateError("A suspended member cannot vote.")
    with transaction.atomic():
        resolution = Resolution.objects.select_for_update(no_key=True, of=("self",)).get(pk=resolution.pk)
        if resolution.status != ResolutionStatus.OPEN or resolution.closes_at <= timezone.now():
            raise ResolutionStateError("Voting on this resolution has closed.")
        if ResolutionVote.objects.filter(resolution=resolution, membership=membership).exists():
            raise ResolutionStateError("You have voted on this resolution already.")
        ResolutionVote.objects.create(resolution=resolution, membership=membership, choice=choice)
        counter = "yes_votes" if choice == VoteChoice.YES else "no_votes"
        Resolution.objects.filter(pk=resolution.pk).update(**{counter: F(counter) + 1})
        resolution.refresh_from_db(fields=["yes_votes", "no_votes"])
        if resolution.yes_votes + resolution.no_votes >= resolution.eligible_voters:
            _decide(resolution)
    return resolution


def passes(resolution: Resolution, group: SavingsGroup) -> bool:
    cast = resolution.yes_votes + resolution.no_votes
    quorate = cast * 100 >= group.resolution_quorum_percent * resolution.eligible_voters
    return quorate and cast > 0 and resolution.yes_votes * 100 > group.resolution_majority_percent * cast


def _decide(resolution: Resolution) -> None:
    """Inside the caller's transaction, with the resolution locked and open."""
    group = resolution.group
    resolution.status = ResolutionStatus.PASSED if passes(resolution, group) else ResolutionStatus.FAILED
    resolution.decided_at = timezone.now()
    resolution.save(update_fields=["status", "decided_at"])
    context = {
        **group_context(group),
        "resolution_id": str(resolution.pk),
        "yes": str(resolution.yes_votes),
        "no": str(resolution.no_votes),
    }
    event = "rules" if resolution.kind == ResolutionKind.RULE_CHANGE else "share_out"
    if resolution.amount is not None and resolution.beneficiary is not None:
        event = "resolution"
        context |= {
            "amount": money_text(resolution.amount, group.currency),
            "beneficiary": name_of(resolution.beneficiary.user),
        }
    event += "_passed" if resolution.status == ResolutionStatus.PASSED else "_failed"
    for member in _active_members(group):
        notify(user=member.user, event=event, context=context, key=f"resolution:{resolution.pk}")


def close_due_resolutions(*, now: datetime | None = None) -> int:
    """The job: decide every open resolution whose voting time is over, on the votes cast. Safe to run twice."""
    now = now or timezone.now()
    decided = 0
    for resolution_id in Resolution.objects.filter(status=ResolutionStatus.OPEN, closes_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            resolution = (
                Resolution.objects.select_for_update(no_key=True, of=("self",))
                .select_related("group", "beneficiary__user")
                .get(pk=resolution_id)
            )
            if resolution.status == ResolutionStatus.OPEN:
                _decide(resolution)
                decided += 1
    return decided


def execute_resolution(*, actor: Membership, resolution: Resolution) -> Resolution:
    """Pay a passed resolution: from the welfare fund, or from what the pot holds beyond the open cycles' payouts,
    into the beneficiary's wallet. An official who did not propose it executes it (maker-checker); once."""
    require_official(actor)
    if actor.pk == resolution.proposed_by_id:
        raise NotAnOfficialError("Another official must execute a resolution you proposed.")
    with transaction.atomic():
        resolution = (
            Resolution.objects.select_for_update(no_key=True, of=("self",))
            .select_related("group", "beneficiary__user")
            .get(pk=resolution.pk)
        )
        if resolution.status != ResolutionStatus.PASSED:
            raise ResolutionStateError("Only a passed resolution is paid, once.", details={"status": resolution.status})
        if resolution.kind == ResolutionKind.SHARE_OUT:
            made = share_out_by_resolution(resolution=resolution)
            _mark_executed(resolution, actor=actor, posted=made.ledger_transaction)
            return resolution
        if resolution.kind == ResolutionKind.RULE_CHANGE:
            change_rules(group=resolution.group, rules=resolution.new_rules)
            _mark_executed(resolution, actor=actor, posted=None)
            return resolution
        group = resolution.group
        beneficiary = resolution.beneficiary
        assert beneficiary is not None and resolution.amount is not None  # the database's check holds it
        if resolution.kind == ResolutionKind.WELFARE_PAYOUT:
            source = welfare_of(group)
        else:
            source = pot_of(group)
            free = lendable_balance(group)
            if resolution.amount > free:
                raise InsufficientFundsError(
                    "The pot holds no more than the open cycles' payouts.",
                    details={"available": str(free), "currency": group.currency},
                )
        posted = post_for_group(
            group=group,
            kind=TransactionKind.WELFARE
            if resolution.kind == ResolutionKind.WELFARE_PAYOUT
            else TransactionKind.GROUP_EXPENSE,
            legs=[
                Leg(source, -resolution.amount),
                Leg(get_wallet(user_id=beneficiary.user_id, currency=group.currency), resolution.amount),
            ],
            idempotency_key=f"resolution:{resolution.pk}",
            what=f"{resolution.get_kind_display().lower()}: {resolution.reason}",
            member_id=beneficiary.pk,
            resolution=resolution.pk,
        )
        _mark_executed(resolution, actor=actor, posted=posted)
        notify(
            user=beneficiary.user,
            event="resolution_paid",
            context={
                **group_context(group),
                "amount": money_text(resolution.amount, group.currency),
                "resolution_id": str(resolution.pk),
            },
            key=f"resolution:{resolution.pk}",
        )
    return resolution


def _mark_executed(resolution: Resolution, *, actor: Membership, posted: LedgerTransaction | None) -> None:
    resolution.ledger_transaction = posted
    resolution.status = ResolutionStatus.EXECUTED
    resolution.executed_by = actor
    resolution.executed_at = timezone.now()
    resolution.save(update_fields=["ledger_transaction", "status", "executed_by", "executed_at"])
