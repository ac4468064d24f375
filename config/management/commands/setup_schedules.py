from django.core.management.base import BaseCommand

from config.services import sync_periodic_jobs


class Command(BaseCommand):
    help = "Register every app's periodic jobs with celery beat. Idempotent: a second run changes nothing."

    def handle(self, *args, **options):
        result = sync_periodic_jobs()
        for label in ("created", "updated", "removed"):
            for name in getattr(result, label):
                self.stdout.write(f"{label}: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"schedules: {len(result.created)} created, {len(result.updated)} updated, "
                f"{len(result.unchanged)} unchanged, {len(result.removed)} removed"
            )
        )
