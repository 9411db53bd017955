"""First-run setup for `make run`: an admin and a demo project, then how to reach them."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from tracker.models import Organization
from tracker.provisioning import create_organization, create_project, find_project


class Command(BaseCommand):
    help = "Create an admin user and a demo project if none exist; print URL, login and DSN."

    def handle(self, *args, **options):
        User = get_user_model()
        password_file = settings.VAR_DIR / "admin_password"
        admin = User.objects.filter(is_superuser=True).order_by("id").first()
        if admin is None:
            password = secrets.token_urlsafe(12)
            admin = User.objects.create_superuser("admin", "admin@localhost", password)
            # Kept so later runs can print the login again; it stops being shown once the
            # password is changed.
            password_file.write_text(password)
            password_file.chmod(0o600)
        if not Organization.objects.exists():
            org = create_organization("Demo", admin, slug="demo")
            create_project(org, "Demo", platform="python", slug="demo")

        known = password_file.read_text().strip() if password_file.exists() else ""
        shown = known if known and admin.check_password(known) else "(the password you set)"
        key = find_project(None).keys.filter(is_active=True).first()
        self.stdout.write(f"URL: {settings.PUBLIC_URL}/")
        self.stdout.write(f"Login: {admin.get_username()} / {shown}")
        self.stdout.write(f"DSN: {key.dsn if key else '(no active key)'}")
