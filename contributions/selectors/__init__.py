"""Reads about a group's money: always the caller's own, or a group the caller belongs to."""

from contributions.selectors.contributions import (
    contribution_of,
    contributions_of,
    cycle_in,
    cycles_of,
    payouts_of,
    penalty_of,
)
from contributions.selectors.group_money import (
    credit_balance,
    guarantee_in,
    loan_in,
    loans_of,
    money_figures,
    payout_destination_of,
    penalties_visible_to,
    pot_balance_of,
    recorded_payment_in,
    recorded_payments_visible_to,
    rotation_of,
    swap_in,
    swaps_of,
)
from contributions.selectors.reports import dashboard_of, group_health, headline_figures, weekly_summary
from contributions.selectors.resolutions import resolution_in, resolutions_of, votes_of, welfare_fund
from contributions.selectors.share_outs import share_out_preview, share_outs_visible_to, top_ups_of

__all__ = [
    "contribution_of",
    "contributions_of",
    "credit_balance",
    "cycle_in",
    "cycles_of",
    "dashboard_of",
    "group_health",
    "guarantee_in",
    "headline_figures",
    "loan_in",
    "loans_of",
    "money_figures",
    "payout_destination_of",
    "payouts_of",
    "penalties_visible_to",
    "penalty_of",
    "pot_balance_of",
    "recorded_payment_in",
    "recorded_payments_visible_to",
    "resolution_in",
    "resolutions_of",
    "rotation_of",
    "share_out_preview",
    "share_outs_visible_to",
    "swap_in",
    "swaps_of",
    "top_ups_of",
    "votes_of",
    "weekly_summary",
    "welfare_fund",
]
