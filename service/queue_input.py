"""Checks on what the site and moderators send to the queue API. Plain functions: each returns a
typed value or raises APIError with the status and a message that names the field."""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from service.errors import APIError
from service.rules import RULES
from service.storage import STATUSES
from service.validation import _json_type, check_text, require_object

# Site ids go into URLs (/v1/comments/<id>) and HTML attributes, so they are kept to a safe set;
# "." and ".." are not ids, since browsers and HTTP clients resolve them out of a URL's path.
ID_PATTERN = re.compile(r"(?!\.\.?\Z)[A-Za-z0-9._:~-]{1,200}")
DECISIONS = ("approve", "reject")
SORTS = ("oldest", "newest", "score")
# Who made a comment's current decision: the service alone, or a moderator or admin. The
# published comments the service decided, highest score first, are where its misses are.
DECIDERS = ("system", "person")
STATUS_ALIASES = {"approved": "published"}
MAX_NOTE_CHARS = 2000
MAX_SEARCH_CHARS = 200
MAX_CHANGES = 1000


@dataclass(frozen=True)
class Submission:
    """A comment as the site sent it."""

    id: str
    text: str
    article_id: str
    author_id: str
    author_name: str | None = None
    article_title: str | None = None
    article_url: str | None = None
    parent_id: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class DecisionRequest:
    """A moderator's decision on one or more comments."""

    decision: str
    rules: tuple[str, ...] | None  # None: the rules the service flagged (a rejection only)
    note: str | None
    expect_status: str | None = None


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort it belongs to and the last row's sort key."""

    sort: str
    score: float | None
    pk: int

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.score, self.pk], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class QueueQuery:
    """Filters, order and page of a queue listing."""

    status: str | None = "pending"  # None lists every status
    rule: str | None = None
    article_id: str | None = None
    author_id: str | None = None
    search: str | None = None
    decided_by: str | None = None  # "system" (no person has decided yet) or "person"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    sort: str = "oldest"
    limit: int = 50
    cursor: Cursor | None = None


class FieldErrors:
    """Collects field problems so that one 422 names all of them."""

    def __init__(self):
        self.items: list[dict] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})

    def extend(self, error: APIError) -> None:
        self.items.extend(error.errors or [{"field": "", "message": error.description}])

    def raise_if_any(self, what: str) -> None:
        if self.items:
            summary = "; ".join(e["message"] for e in self.items)
            raise APIError(422, f"{what}: {summary}", errors=self.items)


def is_identifier(value: str) -> bool:
    """Whether ``value`` can be a comment, article or author id (what the site may send)."""
    # fullmatch, not match with $: "$" also matches before a final newline.
    return ID_PATTERN.fullmatch(value) is not None


def _identifier(value: Any, field: str, errors: FieldErrors, required: bool = True) -> str | None:
    if value is None:
        if required:
            errors.add(field, f"'{field}' is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors.add(field, f"'{field}' must be a string or an integer, not {_json_type(value)}")
        return None
    if not is_identifier(value):
        errors.add(field, f"'{field}' must be 1-200 characters of letters, digits and . _ : ~ - "
                           "(not . or .. alone)")
        return None
    return value


def _optional_string(value: Any, field: str, limit: int, errors: FieldErrors) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(field, f"'{field}' must be a string, not {_json_type(value)}")
        return None
    if len(value) > limit:
        errors.add(field, f"'{field}' is longer than {limit} characters")
        return None
    return value


def _url(value: Any, field: str, errors: FieldErrors) -> str | None:
    url = _optional_string(value, field, 2000, errors)
    if url is None:
        return None
    # Moderators click this link: only real web addresses, never javascript: or data: URLs.
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[x": a bracket opened for an IPv6 address and never closed
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        errors.add(field, f"'{field}' must be an http:// or https:// address")
        return None
    return url


def parse_datetime(value: Any, field: str) -> dt.datetime:
    """Return an aware UTC datetime from an ISO 8601 string (a zone-less one is taken as UTC)."""
    if not isinstance(value, str):
        raise APIError(422, f"'{field}' must be an ISO 8601 date-time string, "
                            f"not {_json_type(value)}", field=field)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise APIError(422, f"'{field}' is not an ISO 8601 date-time: {value[:40]!r}",
                       field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        # 9999-12-31T23:59-05:00 is a valid ISO string whose UTC time is past year 9999.
        raise APIError(422, f"'{field}' is outside the years 1-9999 in UTC: {value[:40]!r}",
                       field=field) from None


def parse_comment(payload: Any, max_chars: int) -> Submission:
    """Return the Submission in a POST /v1/comments body."""
    body = require_object(payload)
    errors = FieldErrors()
    comment_id = _identifier(body.get("id"), "id", errors)
    article_id = _identifier(body.get("article_id"), "article_id", errors)
    author_id = _identifier(body.get("author_id"), "author_id", errors)
    parent_id = _identifier(body.get("parent_id"), "parent_id", errors, required=False)
    author_name = _optional_string(body.get("author_name"), "author_name", 200, errors)
    article_title = _optional_string(body.get("article_title"), "article_title", 500, errors)
    article_url = _url(body.get("article_url"), "article_url", errors)
    created_at = None
    if body.get("created_at") is not None:
        try:
            created_at = parse_datetime(body["created_at"], "created_at")
        except APIError as error:
            errors.add("created_at", error.description)
    try:
        text = check_text(body.get("text"), max_chars)
    except APIError as error:
        if error.code == 413 and not errors.items:
            raise
        errors.add("text", error.description)
        text = ""
    errors.raise_if_any("the comment is invalid")
    return Submission(comment_id, text, article_id, author_id, author_name, article_title,
                      article_url, parent_id, created_at)


def parse_comment_id(value: str) -> str:
    """Return the comment id of a /v1/comments/<id> path.

    An id no comment could have been posted with is a mistake on the caller's side: named as POST
    /v1/comments names it (422 on 'id'), not answered "no such comment" (404), which hides it.
    """
    errors = FieldErrors()
    comment_id = _identifier(value, "id", errors)
    errors.raise_if_any("the comment id is invalid")
    return comment_id


def parse_rules(value: Any, errors: FieldErrors, field: str = "rules") -> tuple[str, ...]:
    """Return the distinct known rules in ``value``, in the site's rule order."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        errors.add(field, f"'{field}' must be an array of rule ids: {', '.join(RULES)}")
        return ()
    unknown = sorted(set(value) - set(RULES))
    if unknown:
        errors.add(field, f"unknown rules {unknown}; the rules are {', '.join(RULES)}")
    return tuple(rule for rule in RULES if rule in value)


def _decision_fields(body: dict, errors: FieldErrors) -> DecisionRequest:
    decision = body.get("decision")
    if decision not in DECISIONS:
        errors.add("decision", "'decision' must be \"approve\" or \"reject\"")
    rules = parse_rules(body.get("rules"), errors)
    if decision == "approve" and rules:
        errors.add("rules", "an approval names no rules")
    note = _optional_string(body.get("note"), "note", MAX_NOTE_CHARS, errors)
    expect = body.get("expect_status")
    if expect is not None:
        if isinstance(expect, str):
            expect = STATUS_ALIASES.get(expect, expect)
        if expect not in STATUSES:
            errors.add("expect_status", f"'expect_status' must be one of {', '.join(STATUSES)}")
    return DecisionRequest(decision, rules, note or None, expect)


def parse_decision(payload: Any) -> DecisionRequest:
    """Return the decision in a POST /v1/comments/<id>/decision body."""
    errors = FieldErrors()
    request = _decision_fields(require_object(payload), errors)
    errors.raise_if_any("the decision is invalid")
    return request


def parse_bulk_decision(payload: Any, max_bulk: int) -> tuple[list[str], DecisionRequest]:
    """Return the comment ids and the decision of a POST /v1/decisions body."""
    body = require_object(payload)
    errors = FieldErrors()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids:
        errors.add("ids", "'ids' must be a non-empty array of comment ids")
        ids = []
    elif len(ids) > max_bulk:
        raise APIError(413, f"'ids' has {len(ids)} items; the limit is {max_bulk}", field="ids")
    checked = [_identifier(value, f"ids[{i}]", errors) for i, value in enumerate(ids)]
    request = _decision_fields(body, errors)
    errors.raise_if_any("the bulk decision is invalid")
    return list(dict.fromkeys(checked)), request


def _collect(errors: FieldErrors, parse, value: str | None, *more):
    """Return ``parse(value, *more)``, or None if ``value`` is empty or its problem is noted."""
    if not value:
        return None
    try:
        return parse(value, *more)
    except APIError as error:
        errors.extend(error)
        return None


def _is_number(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def parse_cursor(value: str, sort: str) -> Cursor:
    """Return the Cursor encoded in ``value``; it must belong to the same sort."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        cursor_sort, score, pk = json.loads(raw)
        # As the databases store them: a 64-bit row id, and a finite score for sort=score only.
        # JSON's true and false are ints to Python, but not to the databases.
        valid = (cursor_sort in SORTS and _is_number(pk, int) and 0 <= pk < 2**63
                 and (score is None if cursor_sort != "score" else
                      _is_number(score, int | float) and math.isfinite(score)))
    # RecursionError: a forged cursor of deeply nested brackets.
    except (ValueError, TypeError, OverflowError, RecursionError):
        valid = False
    if not valid:
        raise APIError(422, "'cursor' is not a cursor this service gave out", field="cursor")
    if cursor_sort != sort:
        raise APIError(422, f"'cursor' belongs to sort={cursor_sort}, not sort={sort}",
                       field="cursor")
    return Cursor(cursor_sort, None if score is None else float(score), pk)


@dataclass(frozen=True)
class ChangesQuery:
    """Which page of people's status changes the site asks for: those after change ``after``."""

    after: int
    limit: int


def _whole_parameter(args: dict[str, str], name: str, default: int, low: int, high: int,
                     errors: FieldErrors) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() would also take " 7", "+7", "7_0" and Arabic-Indic digits.
    if not re.fullmatch(r"[0-9]{1,19}", raw) or not low <= int(raw) <= high:
        errors.add(name, f"'{name}' must be a whole number from {low} to {high}")
        return default
    return int(raw)


def parse_changes_query(args: dict[str, str]) -> ChangesQuery:
    """Return the ChangesQuery in GET /v1/changes's query string; one 422 names every problem."""
    errors = FieldErrors()
    after = _whole_parameter(args, "after", 0, 0, 2**63 - 1, errors)
    limit = _whole_parameter(args, "limit", 100, 1, MAX_CHANGES, errors)
    errors.raise_if_any("the query is invalid")
    return ChangesQuery(after, limit)


def parse_queue_query(args: dict[str, str], default_limit: int) -> QueueQuery:
    """Return the QueueQuery in GET /v1/queue's query string; one 422 names every bad parameter."""
    errors = FieldErrors()
    status = args.get("status", "pending")
    status = STATUS_ALIASES.get(status, status)
    if status not in (*STATUSES, "all"):
        errors.add("status", f"'status' must be one of {', '.join(STATUSES)}, approved or all")
    rule = args.get("rule") or None
    if rule is not None and rule not in RULES:
        errors.add("rule", f"'rule' must be one of {', '.join(RULES)}")
    sort = args.get("sort", "oldest")
    if sort not in SORTS:
        errors.add("sort", f"'sort' must be one of {', '.join(SORTS)}")
    limit = default_limit
    try:
        limit = int(args.get("limit", default_limit))
    except ValueError:
        errors.add("limit", "'limit' must be an integer")
    else:
        if not 1 <= limit <= 200:
            errors.add("limit", "'limit' must be between 1 and 200")
    search = (args.get("q") or "").strip() or None
    if search is not None and len(search) > MAX_SEARCH_CHARS:
        errors.add("q", f"'q' is longer than {MAX_SEARCH_CHARS} characters")
    elif search is not None and "\x00" in search:
        errors.add("q", "'q' contains a NUL character")
    article = _identifier(args.get("article") or None, "article", errors, required=False)
    author = _identifier(args.get("author") or None, "author", errors, required=False)
    decided_by = args.get("decided_by") or None
    if decided_by is not None and decided_by not in DECIDERS:
        errors.add("decided_by", f"'decided_by' must be one of {', '.join(DECIDERS)}")
    since = _collect(errors, parse_datetime, args.get("since"), "since")
    until = _collect(errors, parse_datetime, args.get("until"), "until")
    cursor = _collect(errors, parse_cursor, args.get("cursor"), sort) if sort in SORTS else None
    errors.raise_if_any("the query is invalid")
    return QueueQuery(None if status == "all" else status, rule, article, author, search,
                      decided_by, since, until, sort, limit, cursor)
