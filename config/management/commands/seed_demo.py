from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.services import seed_demo_data


class Command(BaseCommand):
    help = "Load demo data (idempotent). Refuses to run with DEBUG off: the demo users have known passwords."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on; it creates users whose passwords are public.")
        seed_demo_data(stdout=self.stdout)
