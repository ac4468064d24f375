from celery import shared_task

from notifications import services


@shared_task(name="notifications.dispatch")
def dispatch(notification_id: int) -> int:
    return len(services.dispatch(notification_id=notification_id))


@shared_task(name="notifications.send_delivery")
def send_delivery(delivery_id: int) -> str:
    return services.send_delivery(delivery_id=delivery_id)


@shared_task(name="notifications.send_due")
def send_due() -> int:
    return services.send_due()
