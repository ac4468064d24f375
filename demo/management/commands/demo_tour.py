from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.tour import TourFailed, tour_in_process, tour_over_http


class Command(BaseCommand):
    help = (
        "Walk the README's 'Try it' steps against the demo world (seed_demo first) and fail on the first answer that "
        "differs. In-process and rolled back by default; --base-url runs them over HTTP against a running server."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="", help="a running server, e.g. http://127.0.0.1:8000")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_tour only runs with DEBUG on, against the demo world's known logins.")
        where = options["base_url"] or "in-process, rolled back at the end"
        self.stdout.write(f"Demo tour ({where}):")
        try:
            if options["base_url"]:
                steps = tour_over_http(base_url=options["base_url"], out=self.stdout)
            else:
                steps = tour_in_process(out=self.stdout)
        except TourFailed as exc:
            raise CommandError(f"demo tour failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Demo tour passed: {len(steps)} steps."))
