"""What `ledger_check` cannot tell from the ledger alone about a group's funds (registered in ContributionsConfig):
a welfare fund holds its dues less the resolutions paid from it; every posting that pays a resolution is the one
its executed resolution records (a second payment shows); every plan bill is a month `PlanCharge` records; every
share-out's posting is the one it records, and pays each saver exactly their line (the lines summing to the pot)."""

from decimal import Decimal

from django.db.models import Count, Sum

from contributions.models import (
    PlanCharge,
    Resolution,
    ResolutionKind,
    ResolutionStatus,
    ShareOut,
    WelfareContribution,
)
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind


def group_fund_discrepancies() -> list[str]:
    problems: list[str] = []
    dues = {
        str(group_id): total
        for group_id, total in WelfareContribution.objects.values("membership__group_id")
        .annotate(total=Sum("amount"))
        .values_list("membership__group_id", "total")
    }
    paid_out = {
        str(group_id): total
        for group_id, total in Resolution.objects.filter(
            kind=ResolutionKind.WELFARE_PAYOUT, status=ResolutionStatus.EXECUTED
        )
        .values("group_id")
        .annotate(total=Sum("amount"))
        .values_list("group_id", "total")
    }
    for account in LedgerAccount.objects.filter(kind=AccountKind.GROUP_WELFARE):
        expected = dues.get(account.owner_id, Decimal("0")) - paid_out.get(account.owner_id, Decimal("0"))
        if account.balance != expected:
            problems.append(
                f"welfare fund of group {account.owner_id} holds {account.balance}, but its dues less the "
                f"resolutions paid from it come to {expected}"
            )
    recorded = set(
        Resolution.objects.filter(ledger_transaction__isnull=False).values_list("ledger_transaction", flat=True)
    )
    for posting in LedgerTransaction.objects.filter(
        kind__in=[TransactionKind.WELFARE, TransactionKind.GROUP_EXPENSE], metadata__has_key="resolution"
    ).values_list("pk", "metadata__resolution"):
        if posting[0] not in recorded:
            problems.append(f"transaction {posting[0]} pays resolution {posting[1]}, which records another payment")
    billed = {
        (row["reference"], row["metadata__period"]): row["n"]
        for row in LedgerTransaction.objects.filter(kind=TransactionKind.FEE, metadata__has_key="plan")
        .values("reference", "metadata__period")
        .annotate(n=Count("id"))
    }
    charged = {(str(c.group_id), c.period) for c in PlanCharge.objects.all()}
    for (group_id, period), count in sorted(billed.items(), key=str):
        if count != 1 or (group_id, period) not in charged:
            problems.append(f"group {group_id} was billed {count} time(s) for its plan in {period}; one is right")
    problems += _share_out_discrepancies()
    return problems


def _share_out_discrepancies() -> list[str]:
    problems: list[str] = []
    recorded = {}
    for made in ShareOut.objects.select_related("group").prefetch_related(
        "lines__membership", "ledger_transaction__entries__account"
    ):
        recorded[made.ledger_transaction_id] = made
        lines = list(made.lines.all())
        if sum((line.gross for line in lines), Decimal("0")) != made.pot or made.fee != sum(
            (line.fee for line in lines), Decimal("0")
        ):
            problems.append(f"share-out {made.number} of group {made.group_id}: its lines do not add up to its pot")
        paid: dict[str, Decimal] = {}
        pot_out = Decimal("0")
        for entry in made.ledger_transaction.entries.all():
            if entry.account.kind == AccountKind.USER_WALLET:
                paid[entry.account.owner_id] = paid.get(entry.account.owner_id, Decimal("0")) + entry.amount
            elif entry.account.kind == AccountKind.GROUP_POT:
                pot_out -= entry.amount
        owed = {str(line.membership.user_id): line.amount for line in lines if line.amount}
        if paid != owed or pot_out != made.pot:
            problems.append(
                f"share-out {made.number} of group {made.group_id}: its posting paid {sum(paid.values())} to wallets "
                f"and took {pot_out} from the pot, not what its lines say"
            )
    for pk, number, group_id in LedgerTransaction.objects.filter(
        kind=TransactionKind.PAYOUT, metadata__has_key="share_out"
    ).values_list("pk", "metadata__share_out", "reference"):
        if pk not in recorded:
            problems.append(f"transaction {pk} shares out period {number} of group {group_id}, which records another")
    return problems
