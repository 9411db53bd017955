from django.core.management.base import BaseCommand, CommandError

from tracker import retention
from tracker.models import Project


class Command(BaseCommand):
    help = ("Delete events, issues, attachments and statistics older than N days, whatever "
            "the configured retention periods say, and print how many of each went.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="Keep the last N days.")
        parser.add_argument("--project", metavar="ORG/PROJECT",
                            help="Only this project (its organization's slug, then its own).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Change nothing; print what would be deleted.")

    def handle(self, *args, **options):
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1")
        project = None
        if options["project"]:
            org_slug, _, slug = options["project"].partition("/")
            project = Project.objects.filter(organization__slug=org_slug, slug=slug).first()
            if project is None:
                raise CommandError(f"no project {options['project']!r} (use ORG/PROJECT)")
        dry_run = options["dry_run"]
        removed = retention.cleanup(days, project, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for kind in retention.KINDS:
            self.stdout.write(f"{verb} {removed[kind]} {kind}")
