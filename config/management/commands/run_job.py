import json

from django.core.management.base import BaseCommand, CommandError

from config.celery import app as celery_app
from config.schedules import declared_jobs, job_named


class Command(BaseCommand):
    help = "Run one periodic job now, in this process, and print its result."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the job's name; leave it out to list the jobs")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override one of the job's arguments (VALUE read as JSON when it parses), e.g. every_zone=true",
        )

    def handle(self, *args, name=None, **options):
        if not name:
            for job in declared_jobs():
                self.stdout.write(f"{job.name}\t{job.task}\t{job.description}")
            return
        job = job_named(name)
        if job is None:
            known = ", ".join(job.name for job in declared_jobs())
            raise CommandError(f"No periodic job named {name!r}. Known jobs: {known}")
        celery_app.loader.import_default_modules()
        task = celery_app.tasks.get(job.task)
        if task is None:
            raise CommandError(f"Job {name!r} names task {job.task!r}, which no app defines.")
        kwargs = dict(job.kwargs)
        for pair in options["set"]:
            key, sep, raw = pair.partition("=")
            if not sep or not key:
                raise CommandError(f"--set takes KEY=VALUE, not {pair!r}")
            try:
                kwargs[key] = json.loads(raw)
            except json.JSONDecodeError:
                kwargs[key] = raw
        result = task.apply(kwargs=kwargs, throw=True)
        self.stdout.write(self.style.SUCCESS(f"{name}: {result.result!r}"))
