"""Every write about a group's money: dues before the start, the schedule, paying what is owed, penalties and
fines, payouts and completion, loans, payments officials record, and swaps of payout turns.

Locking order, the same everywhere so two operations never deadlock: the group row (any change of the group's
state), then the cycle row (payouts), then membership rows in id order, then (inside `post_transaction`) ledger
accounts in id order. A member's payment locks their membership first, so it and a payout netting the same
member's arrears never settle one obligation twice. Row locks are `FOR NO KEY UPDATE OF` the row itself: joined
rows stay unlocked, and inserting a penalty or a posting that references a locked row (which takes a key-share
lock) never waits on it — both were deadlocks under concurrent payments before.
"""

from contributions.services.dues import pay_group_dues, refund_group_dues
from contributions.services.ledger import escrow_of, post_for_group, pot_of
from contributions.services.loans import (
    answer_guarantee,
    apply_for_loan,
    assess_late_fees,
    borrowing_limit,
    decide_loan,
    disburse_loan,
    lendable_balance,
    loan_book,
    loan_schedule,
    outstanding_principal,
    payoff_amount,
    repay_loan,
    vote_write_off,
)
from contributions.services.paybill import (
    accepts_paybill_account,
    confirm_assignment,
    enable_paybill,
    propose_assignment,
    receive_paybill_payment,
)
from contributions.services.payout_destinations import forward_payout, set_payout_destination
from contributions.services.payouts import complete_group, run_payouts
from contributions.services.penalties import assess_penalties, fine_attendance, levy_fine, penalty_amount
from contributions.services.plans import bill_plans, change_plan
from contributions.services.recorded_payments import (
    cash_book_of,
    confirm_payment,
    off_platform_account,
    record_payment,
    reject_payment,
)
from contributions.services.reminders import send_reminders
from contributions.services.resolutions import (
    close_due_resolutions,
    execute_resolution,
    propose_resolution,
    vote,
)
from contributions.services.schedule import create_schedule, due_date_for, payout_date_for
from contributions.services.settlement import (
    CHARGE_PURPOSE,
    Settlement,
    obligations_through,
    obligations_within,
    outstanding_total,
    pay_contribution,
    pay_in_part,
    pay_penalty,
    settle_contribution_charge,
    start_card_payment,
    start_mpesa_payment,
)
from contributions.services.share_outs import share_out, share_out_if_due, top_up_savings
from contributions.services.swaps import answer_swap, request_swap
from contributions.services.welfare import pay_welfare

__all__ = [
    "CHARGE_PURPOSE",
    "Settlement",
    "accepts_paybill_account",
    "answer_guarantee",
    "answer_swap",
    "apply_for_loan",
    "assess_late_fees",
    "assess_penalties",
    "bill_plans",
    "borrowing_limit",
    "cash_book_of",
    "change_plan",
    "close_due_resolutions",
    "complete_group",
    "confirm_assignment",
    "confirm_payment",
    "create_schedule",
    "decide_loan",
    "disburse_loan",
    "due_date_for",
    "enable_paybill",
    "escrow_of",
    "execute_resolution",
    "fine_attendance",
    "forward_payout",
    "lendable_balance",
    "levy_fine",
    "loan_book",
    "loan_schedule",
    "obligations_through",
    "obligations_within",
    "off_platform_account",
    "outstanding_principal",
    "outstanding_total",
    "pay_contribution",
    "pay_group_dues",
    "pay_in_part",
    "pay_penalty",
    "pay_welfare",
    "payoff_amount",
    "payout_date_for",
    "penalty_amount",
    "post_for_group",
    "pot_of",
    "propose_assignment",
    "propose_resolution",
    "receive_paybill_payment",
    "record_payment",
    "refund_group_dues",
    "reject_payment",
    "repay_loan",
    "request_swap",
    "run_payouts",
    "send_reminders",
    "set_payout_destination",
    "settle_contribution_charge",
    "share_out",
    "share_out_if_due",
    "start_card_payment",
    "start_mpesa_payment",
    "top_up_savings",
    "vote",
    "vote_write_off",
]
