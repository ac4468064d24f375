from typing import Any

from django.core.management.base import BaseCommand, CommandError

from billpay.services import sync_catalog
from core.errors import ApplicationError


class Command(BaseCommand):
    help = "Sync the bill catalog (categories, billers, plans and bouquets) from the bill provider."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = sync_catalog()
        except ApplicationError as exc:
            raise CommandError(f"sync_billers: {exc.message}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"sync_billers: billers {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.deactivated)} deactivated; variations {result.variations_created} created, "
                f"{result.variations_updated} updated, {result.variations_deactivated} deactivated"
            )
        )
