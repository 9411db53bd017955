"""Seed PostgreSQL with a benchmark data set: 1 M events across 20 k issues in 5 projects.

Rows are generated inside PostgreSQL (INSERT ... SELECT over generate_series) rather than
sent from Python: a million realistic events then take a minute or two instead of an hour.
Events spread over issues with a long tail, like real traffic: a few issues get tens of
thousands of events, most get a handful. Aggregates (counts, first/last seen, hourly counts,
tag values, users) are computed from the events afterwards, so they agree with them exactly.

    python manage.py seed_bench [--events N] [--issues N] [--projects N] [--force]
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from tracker.models import (
    Environment,
    Event,
    Issue,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    Organization,
    Project,
    ProjectCounter,
    Release,
)
from tracker.provisioning import create_organization, create_project

ORG_SLUG = "bench"
USERNAME = "bench"
PASSWORD = "bench"  # noqa: S105 - a throwaway account in a throwaway database
BATCH = 100_000


def is_seeded(issues: int, projects: int) -> bool:
    org = Organization.objects.filter(slug=ORG_SLUG).first()
    if org is None:
        return False
    count = Issue.objects.filter(project__organization=org).count()
    last = Project.objects.filter(organization=org, slug=f"bench-{projects - 1}").first()
    return count == issues and last is not None and Event.objects.filter(
        project=last).exists()


class Command(BaseCommand):
    help = "Seed PostgreSQL with the issue-list benchmark data (1 M events, 20 k issues)."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=1_000_000)
        parser.add_argument("--issues", type=int, default=20_000)
        parser.add_argument("--projects", type=int, default=5)
        parser.add_argument("--force", action="store_true",
                            help="Delete an existing benchmark organization first.")

    def handle(self, *args, events: int, issues: int, projects: int, force: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL: set DATABASE_URL.")
        if events < issues:
            raise CommandError("need at least one event per issue")
        if is_seeded(issues, projects) and not force:
            self.stdout.write("benchmark data already present; --force to reseed")
            return
        started = time.monotonic()
        Organization.objects.filter(slug=ORG_SLUG).delete()
        org, project_ids = self._setup(projects)
        with transaction.atomic():
            self._issues(org, project_ids, issues)
            self._events(events, issues)
        self._aggregates(project_ids)
        with connection.cursor() as cursor:
            # The aggregate UPDATEs left a dead copy of every issue row behind.
            cursor.execute("VACUUM ANALYZE")
        self.stdout.write(
            f"seeded {events:,} events, {issues:,} issues, {projects} projects "
            f"in {time.monotonic() - started:.0f}s (sign in as {USERNAME} / {PASSWORD})"
        )

    def _setup(self, projects: int) -> tuple[Organization, list[int]]:
        user_model = get_user_model()
        user = user_model.objects.filter(username=USERNAME).first()
        if user is None:
            user = user_model.objects.create_user(USERNAME, "bench@example.com", PASSWORD)
        org = create_organization("Bench", user, slug=ORG_SLUG)
        made = [create_project(org, f"Bench {i}", slug=f"bench-{i}", platform="python")
                for i in range(projects)]
        for i in range(20):
            release = Release.objects.create(organization=org, version=f"app@1.{i}.0")
            release.projects.set(made)
        for name in ("production", "staging"):
            Environment.objects.create(organization=org, name=name).projects.set(made)
        return org, [p.pk for p in made]

    def _issues(self, org: Organization, project_ids: list[int], issues: int) -> None:
        """Issues with ranks 0..n-1; rank % projects picks the project."""
        table = Issue._meta.db_table
        releases = list(Release.objects.filter(organization=org).order_by("pk").values_list(
            "pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_rank")
            cursor.execute(
                "CREATE TEMP TABLE bench_rank (rank int PRIMARY KEY, issue_id bigint, "
                "project_id bigint, title text, level smallint, handling text)"
            )
            cursor.execute(  # table names come from the models, values are parameters
                f"""
                WITH src AS (
                  SELECT g AS rank,
                         (%(projects)s)[1 + g %% cardinality(%(projects)s)] AS project_id,
                         (ARRAY['ValueError','KeyError','TypeError','ZeroDivisionError',
                                'OperationalError','TimeoutError','AttributeError',
                                'IntegrityError','ConnectionError','PermissionError'])[1 + g %% 10]
                           || ': ' || (ARRAY['invalid literal for int()','missing key',
                                'unsupported operand','division by zero',
                                'database is locked','read timed out',
                                'object has no attribute','duplicate key value',
                                'connection refused','permission denied'])[1 + (g / 10) %% 10]
                           || ' #' || g AS title,
                         'shop.module' || (g %% 200) || ' in handler_' || (g %% 37) AS culprit,
                         (ARRAY[40,40,40,40,30,30,50,20])[1 + g %% 8] AS level,
                         (ARRAY['handled','handled','handled','unhandled','crash'])[1 + g %% 5]
                           AS handling,
                         (ARRAY['unresolved','unresolved','unresolved','unresolved',
                                'unresolved','unresolved','unresolved','resolved','resolved',
                                'ignored'])[1 + (g / 5 * 3) %% 10] AS status,
                         (%(releases)s)[1 + g %% cardinality(%(releases)s)] AS release_id
                  FROM generate_series(0, %(n)s - 1) g
                ), ins AS (
                  INSERT INTO {table} (project_id, short_id, type, title, culprit, level, platform,
                    status, substatus, handling, priority, first_seen, last_seen, times_seen,
                    users_seen, first_release_id, last_release_id, resolved_in_next_release,
                    data, search_text)
                  SELECT project_id, rank / cardinality(%(projects)s) + 1, 'error', title,
                         culprit, level, 'python', status,
                         CASE status WHEN 'ignored' THEN 'ignored_forever'
                                     WHEN 'resolved' THEN '' ELSE 'ongoing' END,
                         handling, CASE WHEN level >= 40 THEN 75 ELSE 50 END, now(), now(), 0,
                         0, release_id, release_id, false,
                         jsonb_build_object('title', title, 'culprit', culprit),
                         title || ' ' || culprit || ' handler_' || (rank %% 37) || ' checkout'
                  FROM src ORDER BY rank
                  RETURNING id, project_id, short_id, title, level, handling
                )
                INSERT INTO bench_rank
                SELECT (short_id - 1) * cardinality(%(projects)s)
                         + array_position(%(projects)s, project_id) - 1,
                       id, project_id, title, level, handling FROM ins
                """,  # noqa: S608
                {"projects": project_ids, "releases": releases, "n": issues},
            )
            cursor.execute(
                f"INSERT INTO {IssueHash._meta.db_table} (project_id, hash, issue_id, "  # noqa: S608
                "grouping_config, created) SELECT project_id, md5(issue_id::text), issue_id, "
                "'v1', now() FROM bench_rank"
            )
            cursor.execute(
                f"INSERT INTO {ProjectCounter._meta.db_table} (project_id, value) "  # noqa: S608
                "SELECT project_id, count(*) FROM bench_rank GROUP BY project_id "
                "ON CONFLICT (project_id) DO UPDATE SET value = excluded.value"
            )

    def _events(self, events: int, issues: int) -> None:
        """One event per issue, then the rest on a long tail: rank = n * random()^3."""
        table = Event._meta.db_table
        done = 0
        while done < events:
            size = min(BATCH, events - done)
            with connection.cursor() as cursor:
                cursor.execute(_EVENTS_SQL.format(table=table), {
                    "start": done, "size": size, "issues": issues,
                })
            done += size
            self.stdout.write(f"  {done:,} events", ending="\r")
            self.stdout.flush()
        self.stdout.write("")

    def _aggregates(self, project_ids: list[int]) -> None:
        with connection.cursor() as cursor:
            for sql in _AGGREGATES_SQL:
                cursor.execute(sql.format(
                    event=Event._meta.db_table, issue=Issue._meta.db_table,
                    hourly=IssueHourlyCount._meta.db_table, tag=IssueTag._meta.db_table,
                ), {"projects": project_ids})


# The first `issues` events go one to each issue; later ones pick a rank from a skewed draw.
_EVENTS_SQL = """
WITH draw AS (
  SELECT g,
         CASE WHEN g < %(issues)s THEN g
              ELSE least(%(issues)s - 1, floor(%(issues)s * power(random(), 3)))::int END AS rank,
         now() - random() * interval '30 days' AS ts,
         (random() * 4000)::int AS uid, random() AS r
  FROM generate_series(%(start)s, %(start)s + %(size)s - 1) g
)
INSERT INTO {table} (project_id, issue_id, event_id, timestamp, received, level, title,
                     release, environment, user_key, handling, data)
SELECT b.project_id, b.issue_id, gen_random_uuid(), d.ts, d.ts, b.level, b.title,
       'app@1.' || (d.g %% 20) || '.0',
       CASE WHEN d.r < 0.8 THEN 'production' ELSE 'staging' END,
       'id:' || d.uid, b.handling,
       jsonb_build_object(
         'platform', 'python', 'level', 'error', 'title', b.title,
         'release', 'app@1.' || (d.g %% 20) || '.0',
         'environment', CASE WHEN d.r < 0.8 THEN 'production' ELSE 'staging' END,
         'timestamp', extract(epoch FROM d.ts),
         'exception', jsonb_build_object('values', jsonb_build_array(jsonb_build_object(
           'type', split_part(b.title, ':', 1), 'value', split_part(b.title, ': ', 2),
           'mechanism', jsonb_build_object('type', 'generic', 'handled', b.handling = 'handled'),
           'stacktrace', jsonb_build_object('frames', jsonb_build_array(
             jsonb_build_object('filename', 'django/core/handlers/base.py',
               'function', 'get_response', 'lineno', 197, 'in_app', false,
               'context_line', '    response = wrapped_callback(request)'),
             jsonb_build_object('filename', 'shop/views.py', 'function', 'checkout',
               'module', 'shop.views', 'lineno', 42, 'in_app', true,
               'pre_context', jsonb_build_array('def checkout(request):',
                                                '    cart = load_cart(request)'),
               'context_line', '    total = cart.total / cart.count',
               'post_context', jsonb_build_array('    return render(request, total)'),
               'vars', jsonb_build_object('request', '<WSGIRequest POST /checkout>',
                                          'cart', jsonb_build_object('count', 0))))
           )))),
         'tags', jsonb_build_array(jsonb_build_array('server_name', 'web-' || (d.g %% 8)),
                                   jsonb_build_array('browser', (ARRAY['Chrome 120',
                                     'Firefox 121', 'Safari 17'])[1 + d.g %% 3])),
         'user', jsonb_build_object('id', d.uid::text),
         'request', jsonb_build_object('method', 'POST',
                                       'url', 'https://shop.example/checkout'),
         'contexts', jsonb_build_object('os', jsonb_build_object('name', 'Linux')),
         'breadcrumbs', jsonb_build_object('values', jsonb_build_array(
           jsonb_build_object('category', 'http', 'message', 'GET /cart',
                              'timestamp', extract(epoch FROM d.ts) - 1))))
FROM draw d JOIN bench_rank b ON b.rank = d.rank
"""

_AGGREGATES_SQL = [
    """
    UPDATE {issue} i SET times_seen = a.n, first_seen = a.first, last_seen = a.last
    FROM (SELECT issue_id, count(*) n, min(timestamp) first, max(timestamp) last
          FROM {event} WHERE project_id = ANY(%(projects)s) GROUP BY issue_id) a
    WHERE i.id = a.issue_id
    """,
    """
    INSERT INTO {hourly} (issue_id, hour, count)
    SELECT issue_id, date_trunc('hour', timestamp), count(*) FROM {event}
    WHERE project_id = ANY(%(projects)s) GROUP BY 1, 2
    """,
    """
    INSERT INTO {tag} (issue_id, key, value, times_seen, first_seen, last_seen)
    SELECT e.issue_id, t.key, t.value, count(*), min(e.timestamp), max(e.timestamp)
    FROM {event} e CROSS JOIN LATERAL (VALUES
      ('environment', e.environment), ('release', e.release), ('user', e.user_key),
      ('level', CASE e.level WHEN 50 THEN 'fatal' WHEN 40 THEN 'error'
                             WHEN 30 THEN 'warning' WHEN 20 THEN 'info' ELSE 'debug' END),
      ('handled', CASE WHEN e.handling = 'handled' THEN 'yes' ELSE 'no' END),
      ('browser', e.data::jsonb #>> '{{tags,1,1}}'),
      ('server_name', e.data::jsonb #>> '{{tags,0,1}}')
    ) AS t(key, value)
    WHERE e.project_id = ANY(%(projects)s)
    GROUP BY 1, 2, 3
    """,
    """
    UPDATE {issue} i SET users_seen = u.n
    FROM (SELECT issue_id, count(*) n FROM {tag} WHERE key = 'user' GROUP BY issue_id) u
    WHERE i.id = u.issue_id AND i.project_id = ANY(%(projects)s)
    """,
]
