"""Errata settings: one module, driven by environment variables.

With no environment at all Errata runs on embedded defaults that need no server: SQLite in
`var/`, a filesystem Celery transport, attachments on disk, mail to the console. Production
sets DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis or RabbitMQ), REDIS_URL, S3 storage
and email. Every variable is listed with a comment in docker/.env.example.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from tracker.env import (
    ImproperlyConfiguredEnv,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ERRATA_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


PORT = env_int("PORT", 8000, minimum=1)
# The address SDKs and people reach Errata at: used in DSNs, alert links and emails.
PUBLIC_URL = env_str("PUBLIC_URL", f"http://localhost:{PORT}").rstrip("/")
_public_host = urlsplit(PUBLIC_URL).hostname or "localhost"
# Reached only from this machine: the embedded default (`make run`, the tests).
_LOCAL_ONLY = _public_host in ("localhost", "::1") or _public_host.startswith("127.")
# The placeholder docker/.env.example ships with: never a key.
_EXAMPLE_SECRET_KEY = "change-me-to-a-long-random-string"  # noqa: S105 (refused, not used)


def _secret_key() -> str:
    # An install only its own machine reaches keeps a generated key in var/ so sessions
    # survive restarts. Anything reachable from elsewhere signs sessions, CSRF tokens and
    # password resets with it, so there the key must be given, and not the example's.
    key = env_str("SECRET_KEY", "")
    if key == _EXAMPLE_SECRET_KEY:
        raise ImproperlyConfiguredEnv(
            "SECRET_KEY is still the example's placeholder: set a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    if key:
        return key
    if not _LOCAL_ONLY:
        raise ImproperlyConfiguredEnv(
            f"SECRET_KEY is required when Errata is served beyond this machine "
            f"(PUBLIC_URL={PUBLIC_URL}): set a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [_public_host, "localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PUBLIC_URL])
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", False) else None
)

# Browser-facing hardening. Cookies are HttpOnly (no script reads them: htmx gets the CSRF token
# from the page) and SameSite=Lax; over HTTPS they are Secure and HSTS tells browsers to stay on
# HTTPS. Django sends HSTS only on requests it sees as secure (see BEHIND_HTTPS_PROXY).
SERVED_OVER_HTTPS = PUBLIC_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600 if SERVED_OVER_HTTPS else 0,
                              minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Links out of Errata (a release's commit, an event's request URL) carry no path or query:
# those name organizations, projects and issues.
SECURE_REFERRER_POLICY = "same-origin"
# Scripts, styles, images and requests from Errata itself only: no inline script, no inline
# handler attributes, no inline styles (static/js/errata.js does what those did). Nothing may
# frame the pages, and forms post only back to Errata.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "tracker",
    "tracker.alerts",
    "ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The browser's time zone (a cookie) for the times pages show.
    "tracker.timezones.TimezoneMiddleware",
    "tracker.api.ratelimit.RateLimitHeadersMiddleware",
    "tracker.api.params.RejectNulMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.server.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'errata.sqlite3'}"), BASE_DIR
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis serves rate-limit counters and the cache. Without it (embedded setups) counters live
# in the database and the cache is per process.
REDIS_URL = env_str("REDIS_URL", "")
# Prefix of every key Errata writes to Redis: lets several installs share one Redis.
REDIS_PREFIX = env_str("REDIS_PREFIX", "errata")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
            # As for tracker.redis_client: ingest looks DSN keys up here, and a Redis that
            # stopped answering must send it to the database quickly, not stall it.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing directory
STATICFILES_DIRS = [BASE_DIR / "static"]

# Attachments: on disk by default, S3-compatible object storage when FILE_STORAGE=s3.
FILE_STORAGE = env_str("FILE_STORAGE", "filesystem")
if FILE_STORAGE == "s3":
    _files = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET", "errata"),
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("S3_REGION", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            "default_acl": None,
            "file_overwrite": True,
        },
    }
elif FILE_STORAGE == "filesystem":
    _files = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("FILES_DIR", str(VAR_DIR / "files"))},
    }
else:
    raise ValueError(f"FILE_STORAGE={FILE_STORAGE!r}: use filesystem or s3")
STORAGES = {
    "default": _files,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Email: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Errata <errata@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# Celery. The embedded default is kombu's filesystem transport: no server, works across
# processes on one machine. Production uses redis:// or amqp://.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # default: ./control in the cwd
        "store_processed": False,
        # The transport polls its folder; 0.2 s keeps digest latency and shutdowns short.
        "polling_interval": 0.2,
    }
# Lets several Errata installs (or test runs) share one broker without taking each other's work.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "errata")
CELERY_TASK_ACKS_LATE = True  # a task killed mid-run is redelivered; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2  # ingest publishes inline: fail fast, the sweep retries
CELERY_BEAT_SCHEDULE = {
    "inbox-sweep": {"task": "ingest.digest.tasks.sweep", "schedule": 10.0},
    # Notifications stuck after a broker restart or a dead worker; old alert counters.
    "alerts-sweep": {"task": "tracker.alerts.tasks.sweep", "schedule": 30.0},
    # Crash-free rate conditions of alert rules (sessions are counted per hour).
    "alerts-release-health": {"task": "tracker.alerts.tasks.check_release_health",
                              "schedule": 300.0},
    # Events, issues, attachments and counters past their retention (docs/retention.md).
    "retention": {"task": "tracker.tasks.apply_retention", "schedule": 3600.0},
}

# Product limits and defaults in one place. Sizes in bytes.
ERRATA = {
    "MAX_EVENT_SIZE": env_int("MAX_EVENT_SIZE", 1024 * 1024, minimum=1024),
    "MAX_ATTACHMENT_SIZE": env_int("MAX_ATTACHMENT_SIZE", 100 * 1024 * 1024, minimum=1024),
    "MAX_ENVELOPE_SIZE": env_int("MAX_ENVELOPE_SIZE", 100 * 1024 * 1024, minimum=1024),
    "MAX_REQUEST_SIZE": env_int("MAX_REQUEST_SIZE", 20 * 1024 * 1024, minimum=1024),
    "EVENT_RETENTION_DAYS": env_int("EVENT_RETENTION_DAYS", 90, minimum=1),
    "OUTCOME_RETENTION_DAYS": env_int("OUTCOME_RETENTION_DAYS", 90, minimum=1),
    "SESSION_RETENTION_DAYS": env_int("SESSION_RETENTION_DAYS", 90, minimum=1),
    # Source maps (docs/sourcemaps.md): what sentry-cli may upload, what symbolication parses.
    "CHUNK_UPLOAD_CHUNK_SIZE": env_int("CHUNK_UPLOAD_CHUNK_SIZE", 8 * 1024 * 1024,
                                       minimum=64 * 1024),
    "CHUNK_UPLOAD_MAX_REQUEST_SIZE": env_int("CHUNK_UPLOAD_MAX_REQUEST_SIZE",
                                             32 * 1024 * 1024, minimum=64 * 1024),
    "ARTIFACT_BUNDLE_MAX_SIZE": env_int("ARTIFACT_BUNDLE_MAX_SIZE", 200 * 1024 * 1024,
                                        minimum=1024),
    "ARTIFACT_BUNDLE_MAX_FILES": env_int("ARTIFACT_BUNDLE_MAX_FILES", 10000, minimum=1),
    "SOURCEMAP_MAX_SIZE": env_int("SOURCEMAP_MAX_SIZE", 40 * 1024 * 1024, minimum=1024),
    "SOURCEMAP_CACHE_SIZE": env_int("SOURCEMAP_CACHE_SIZE", 256 * 1024 * 1024, minimum=0),
    # How often an open issue list looks for new issues, in seconds (0: never).
    "ISSUE_LIST_REFRESH_SECONDS": env_int("ISSUE_LIST_REFRESH_SECONDS", 15, minimum=0),
    # Seconds an attachment sent apart from its event waits for it before it is listed as an
    # orphan in the project's settings (it is kept either way).
    "ORPHAN_ATTACHMENT_WINDOW": env_int("ORPHAN_ATTACHMENT_WINDOW", 3600, minimum=1),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.scopes.SessionOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["tracker.api.ratelimit.TokenRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "tracker.api.errors.exception_handler",
}
# The OpenAPI schema at /api/0/schema/ and its docs page at /api/0/docs/ (tracker/api/schema.py).
SPECTACULAR_SETTINGS = {
    "TITLE": "Errata API",
    "DESCRIPTION": "Sentry's REST API routes and shapes, served by Errata. Authenticate with "
    "`Authorization: Bearer <token>`; each operation names the scope it needs.",
    "VERSION": "0",
    "SCHEMA_PATH_PREFIX": "/api/0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The docs page's scripts and styles come from a package, served as static files: the
    # page works offline and sends nothing to a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
}
# Requests each API token may make per window of seconds (0: unlimited); Sentry's default.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 40, minimum=0)
API_RATE_LIMIT_WINDOW = env_int("API_RATE_LIMIT_WINDOW", 1, minimum=1)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
