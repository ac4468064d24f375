from celery import shared_task

from groups import housekeeping


@shared_task(name="groups.cancel_stale_groups")
def cancel_stale_groups() -> int:
    group_ids = housekeeping.stale_forming_group_ids()
    for group_id in group_ids:
        cancel_stale_group.delay(group_id)
    return len(group_ids)


@shared_task(name="groups.cancel_stale_group")
def cancel_stale_group(group_id: str) -> str:
    return housekeeping.cancel_stale_group(group_id=group_id)
