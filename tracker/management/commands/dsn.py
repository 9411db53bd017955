from django.core.management.base import BaseCommand, CommandError

from tracker.models import Project
from tracker.provisioning import find_project


class Command(BaseCommand):
    help = "Print a project's DSN (the demo project's by default)."

    def add_arguments(self, parser):
        parser.add_argument("project", nargs="?", help="org-slug/project-slug")

    def handle(self, *args, **options):
        try:
            project = find_project(options["project"])
        except Project.DoesNotExist as e:
            raise CommandError(str(e)) from None
        key = project.keys.filter(is_active=True).first()
        if key is None:
            raise CommandError(f"project {project} has no active key")
        self.stdout.write(key.dsn)
