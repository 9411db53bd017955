"""Keyset cursors and Sentry's `Link` header for paged lists.

A cursor is `<sort value>:<id>:<is_prev>` (datetimes as integer microseconds): the position
of the row a page ends at. Unlike offsets, a keyset cursor costs the same on page 1,000 as
on page 1, and rows arriving while a client pages don't shift what it sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ParseError
from rest_framework.request import Request

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DATETIME_COLUMNS = {"last_seen", "first_seen", "created", "timestamp"}


@dataclass(frozen=True, slots=True)
class Cursor:
    value: int
    id: int
    is_prev: bool

    @classmethod
    def parse(cls, raw: str | None) -> Cursor | None:
        if not raw:
            return None
        parts = raw.split(":")
        try:
            value, row_id, is_prev = (int(p) for p in parts)
        except ValueError:
            raise ParseError("invalid cursor") from None
        # Beyond a bigint the database would fail rather than find nothing.
        if not (abs(value) < 2**63 and 0 <= row_id < 2**63):
            raise ParseError("invalid cursor")
        return cls(value, row_id, bool(is_prev))

    @classmethod
    def at(cls, row, column: str, is_prev: bool) -> Cursor:
        value = getattr(row, column)
        if isinstance(value, datetime):
            value = (value - _EPOCH) // timedelta(microseconds=1)
        return cls(int(value), row.pk, is_prev)

    def flipped(self) -> Cursor:
        return Cursor(self.value, self.id, not self.is_prev)

    def value_for(self, column: str):
        if column in DATETIME_COLUMNS:
            try:
                return _EPOCH + timedelta(microseconds=self.value)
            except OverflowError:
                raise ParseError("invalid cursor") from None
        return self.value

    def __str__(self) -> str:
        return f"{self.value}:{self.id}:{int(self.is_prev)}"


def keyset_page(rows: QuerySet, column: str, cursor: Cursor | None,
                limit: int) -> tuple[list, bool]:
    """One page after (or, for a previous-page cursor, before) the cursor's position, in
    (column, id) descending order; fetch one more row to know whether there is more."""
    if cursor is None:
        found = list(rows.order_by(f"-{column}", "-id")[: limit + 1])
        return found[:limit], len(found) > limit
    value = cursor.value_for(column)
    if cursor.is_prev:
        after = Q(**{f"{column}__gt": value}) | Q(**{column: value, "id__gt": cursor.id})
        found = list(rows.filter(after).order_by(column, "id")[: limit + 1])
        return list(reversed(found[:limit])), len(found) > limit
    before = Q(**{f"{column}__lt": value}) | Q(**{column: value, "id__lt": cursor.id})
    found = list(rows.filter(before).order_by(f"-{column}", "-id")[: limit + 1])
    return found[:limit], len(found) > limit


def link_header(request: Request, page: list, column: str, cursor: Cursor | None,
                has_more: bool) -> str:
    """`<url>; rel="previous"; results="..."; cursor="...", <url>; rel="next"; ...`."""
    going_back = cursor is not None and cursor.is_prev
    if page:
        prev_cursor = Cursor.at(page[0], column, True)
        next_cursor = Cursor.at(page[-1], column, False)
    elif cursor is not None:
        prev_cursor = cursor if cursor.is_prev else cursor.flipped()
        next_cursor = cursor.flipped() if cursor.is_prev else cursor
    else:
        prev_cursor, next_cursor = Cursor(0, 0, True), Cursor(0, 0, False)
    prev_results = has_more if going_back else cursor is not None
    next_results = True if going_back else has_more
    return ", ".join([
        _link(request, "previous", prev_cursor, prev_results and bool(page or cursor)),
        _link(request, "next", next_cursor, next_results),
    ])


def _link(request: Request, rel: str, cursor: Cursor, results: bool) -> str:
    params = [(k, v) for k, v in request.query_params.items() if k != "cursor"]
    params.append(("cursor", str(cursor)))
    url = request.build_absolute_uri(request.path) + "?" + urlencode(params)
    return f'<{url}>; rel="{rel}"; results="{"true" if results else "false"}"; cursor="{cursor}"'
