from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker import scopes
from tracker.models import ApiToken


class Command(BaseCommand):
    help = (
        "Create a personal API token for a user and print it (it is shown only this once). "
        "It carries every scope, that is all of the user's rights, unless --scopes narrows it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="created from the command line")
        parser.add_argument(
            "--scopes", default="",
            help="Comma-separated Sentry scopes, e.g. project:releases,org:read.",
        )

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        wanted = [s.strip() for s in options["scopes"].split(",") if s.strip()] or None
        if wanted and (bad := scopes.unknown(wanted)):
            raise CommandError(f"unknown scope(s): {', '.join(bad)}; known: {' '.join(scopes.ALL)}")
        _, plaintext = ApiToken.issue(user, options["name"], scopes=wanted)
        self.stdout.write(plaintext)
