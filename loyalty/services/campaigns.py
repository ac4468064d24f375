"""Campaigns: a named set of rules and rewards with a window; pausing one pauses its rules."""

from datetime import datetime

from django.db import transaction

from loyalty.errors import LoyaltyInputError, LoyaltyObjectNotFoundError, LoyaltyStateError
from loyalty.models import Campaign, CampaignStatus, Tenant


def campaign_of(*, tenant: Tenant, campaign_id: int) -> Campaign:
    campaign = Campaign.objects.filter(tenant=tenant, pk=campaign_id).first()
    if campaign is None:
        raise LoyaltyObjectNotFoundError("No such campaign.", details={"campaign": campaign_id})
    return campaign


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise LoyaltyInputError(details={"ends_at": ["A campaign ends after it starts."]})


def create_campaign(
    *, tenant: Tenant, name: str, starts_at: datetime | None = None, ends_at: datetime | None = None
) -> Campaign:
    _check_window(starts_at, ends_at)
    return Campaign.objects.create(tenant=tenant, name=name.strip(), starts_at=starts_at, ends_at=ends_at)


def update_campaign(
    *,
    tenant: Tenant,
    campaign_id: int,
    name: str | None = None,
    status: str | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Campaign:
    """Rename, reschedule, pause, resume or end a campaign. An ended campaign stays ended."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(tenant=tenant, pk=campaign_id).first()
        if campaign is None:
            raise LoyaltyObjectNotFoundError("No such campaign.", details={"campaign": campaign_id})
        if status is not None and status != campaign.status:
            if campaign.status == CampaignStatus.ENDED:
                raise LoyaltyStateError("An ended campaign cannot be resumed.", details={"status": campaign.status})
            campaign.status = status
        campaign.name = name.strip() if name is not None else campaign.name
        campaign.starts_at = starts_at if starts_at is not None else campaign.starts_at
        campaign.ends_at = ends_at if ends_at is not None else campaign.ends_at
        _check_window(campaign.starts_at, campaign.ends_at)
        campaign.save()
    return campaign
