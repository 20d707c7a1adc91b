"""Admin changes to the scoring policy, stored in the database and picked up by every worker.

The keyword files in KEYWORD_DIR are the reviewed base; admins add entries (block or suspect per
rule; allowed words and denials of saying for every rule) or hide file entries through the review
pages, and change thresholds. Each change bumps a version counter in ``settings``. Every process
checks that counter at most once per LISTS_REFRESH_SECONDS, before a request, and rebuilds its
matcher and policy when it moved: a change reaches every gunicorn worker within seconds, with one
cheap query per interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from service.db import Database
from service.errors import APIError
from service.keywords import KeywordEntry, KeywordMatcher, load_denials, load_keyword_entries
from service.queue import Actor, record_audit
from service.rules import RULES
from service.scoring import Moderator, Policy
from service.storage import keyword_overrides, settings, utcnow
from service.text.arabic import strip_zero_width_and_bidi

LEVELS = ("block", "suspect", "allow", "denial")
# The allow list and the denials of saying apply to every rule, so their entries have no rule.
EVERY_RULE_LEVELS = ("allow", "denial")
THRESHOLD_LEVELS = ("suspect", "review", "reject")
ALL_RULES = "*"  # the rule of the entries of EVERY_RULE_LEVELS
ACTIONS = ("add", "remove")
VERSION_KEY = "serving_version"
THRESHOLDS_KEY = "thresholds"
MAX_TERM_CHARS = 200
EXTENSION_KEY = "moderation_overrides"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Override:
    """One admin change to the keyword lists."""

    id: int
    rule: str
    level: str
    term: str
    action: str
    note: str | None
    created_by: str
    created_at: Any

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "level": self.level, "term": self.term,
                "action": self.action, "note": self.note, "created_by": self.created_by,
                "created_at": self.created_at.isoformat().replace("+00:00", "Z")}


def list_overrides(connection: Connection) -> list[Override]:
    """Return every keyword override, by rule, level and term."""
    rows = connection.execute(select(keyword_overrides).order_by(
        keyword_overrides.c.rule, keyword_overrides.c.level, keyword_overrides.c.term))
    return [Override(r.id, r.rule, r.level, r.term, r.action, r.note, r.created_by, r.created_at)
            for r in rows]


def check_override(rule: Any, level: Any, term: Any, action: Any,
                   files: ServingLists) -> tuple[str, str]:
    """Return the (rule, term) to store, or raise APIError 422 naming what is wrong.

    The allow list and the denials are shared by every rule (the matcher reads them before any
    rule), so their entries are stored under rule "*" whichever rule, or "*", was sent. A removal
    must name an entry of the files, at its level: anything else would hide nothing.
    """
    if level not in LEVELS:
        raise APIError(422, f"'level' must be one of {', '.join(LEVELS)}", field="level")
    if level in EVERY_RULE_LEVELS:
        # Still a rule: {"rule": "spam", "level": "allow"} is a mistake, not an allow entry.
        if rule != ALL_RULES and rule not in RULES:
            raise APIError(422, f"'rule' must be one of {', '.join(RULES)} or \"*\"",
                           field="rule")
        rule = ALL_RULES
    elif rule not in RULES:
        raise APIError(422, f"'rule' must be one of {', '.join(RULES)}", field="rule")
    if action not in ACTIONS:
        raise APIError(422, "'action' must be \"add\" or \"remove\"", field="action")
    if not isinstance(term, str):
        raise APIError(422, "'term' must be a non-empty string", field="term")
    # Invisible characters would make "بخوش\u200b" a second override of "بخوش", which the
    # matcher reads as the same word.
    term = " ".join(strip_zero_width_and_bidi(term).split())
    if not term:
        raise APIError(422, "'term' must be a non-empty string", field="term")
    if len(term) > MAX_TERM_CHARS:
        raise APIError(422, f"'term' is longer than {MAX_TERM_CHARS} characters", field="term")
    if action == "remove":
        _check_listed(files, rule, level, term)
    else:
        try:  # the matcher's own checks: letters left, one word to allow, two to deny
            if level == "allow":
                KeywordMatcher([], allow=[term])
            elif level == "denial":
                KeywordMatcher([], denials=[term])
            else:
                KeywordMatcher([KeywordEntry(rule, level, term)])
        except ValueError as error:
            raise APIError(422, f"'term' cannot be used: {error}", field="term") from None
    return rule, term


def _check_listed(files: ServingLists, rule: str, level: str, term: str) -> None:
    """Raise APIError 422 unless the files list ``term`` for ``rule`` at ``level``."""
    if level in EVERY_RULE_LEVELS:
        if term in (files.allow if level == "allow" else files.denials):
            return
        listed_as = []
    else:
        levels = {e.level for e in files.entries if e.rule == rule and e.term == term}
        if level in levels:
            return
        listed_as = sorted(levels)
    where = f" (the files list it for {rule} as {', '.join(listed_as)})" if listed_as else ""
    raise APIError(422, f"'{term}' is not a {level} entry of the files for {rule}, so there is "
                        f"nothing to hide{where}", field="term")


def add_override(connection: Connection, actor: Actor, files: ServingLists, *, rule: str,
                 level: str, term: str, action: str = "add",
                 note: str | None = None) -> Override:
    """Store a keyword override and bump the serving version. ``files`` are the lists as read
    from KEYWORD_DIR, which a removal must name an entry of.

    :raise APIError 409: when the same rule, level and term already has an override.
    """
    rule, term = check_override(rule, level, term, action, files)
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise APIError(422, "'note' must be a string of at most 500 characters", field="note")
    now = utcnow()
    try:
        with connection.begin_nested():
            override_id = connection.execute(insert(keyword_overrides).values(
                rule=rule, level=level, term=term, action=action, note=note,
                created_by=actor.name, created_at=now).returning(keyword_overrides.c.id)
            ).scalar_one()
    except IntegrityError:
        raise APIError(409, f"'{term}' already has an override for {rule}/{level}; "
                            "delete it first") from None
    record_audit(connection, actor, f"keywords.{action}", at=now,
                 detail={"rule": rule, "level": level, "term": term, "note": note})
    bump_version(connection, actor)
    return Override(override_id, rule, level, term, action, note, actor.name, now)


def delete_override(connection: Connection, actor: Actor, override_id: int) -> None:
    """Remove a keyword override (the lists go back to the file's entry) and bump the version.

    :raise APIError 404: when there is no such override.
    """
    # Ids are 64-bit in every database; a larger number in the URL names no override.
    row = None if override_id >= 2**63 else connection.execute(
        select(keyword_overrides).where(keyword_overrides.c.id == override_id)).first()
    if row is None:
        raise APIError(404, f"no keyword override {override_id}")
    connection.execute(delete(keyword_overrides).where(keyword_overrides.c.id == override_id))
    record_audit(connection, actor, "keywords.delete_override",
                 detail={"rule": row.rule, "level": row.level, "term": row.term,
                         "action": row.action})
    bump_version(connection, actor)


def _setting(connection: Connection, key: str):
    return connection.execute(select(settings).where(settings.c.key == key)).first()


def _put_setting(connection: Connection, key: str, value: Any, actor: Actor | None,
                 increment: bool = False) -> None:
    now = utcnow()
    values = {"value": value, "updated_at": now, "updated_by": actor.name if actor else None}
    if increment:
        values["version"] = settings.c.version + 1
    if connection.execute(update(settings).where(settings.c.key == key).values(**values)).rowcount:
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(settings).values(
                key=key, value=value, version=1, updated_at=now, updated_by=values["updated_by"]))
    except IntegrityError:  # another transaction created it meanwhile: update that row
        connection.execute(update(settings).where(settings.c.key == key).values(**values))


def bump_version(connection: Connection, actor: Actor | None = None) -> None:
    """Tell every worker that the lists or thresholds changed."""
    _put_setting(connection, VERSION_KEY, {}, actor, increment=True)


def current_version(connection: Connection) -> int:
    """Return the serving version (0 before any change)."""
    row = _setting(connection, VERSION_KEY)
    return 0 if row is None else int(row.version)


def threshold_overrides(connection: Connection) -> dict[str, dict[str, float]]:
    """Return the thresholds admins set: {rule: {"review": x, "reject": y}} (possibly partial)."""
    row = _setting(connection, THRESHOLDS_KEY)
    return {} if row is None else dict(row.value)


def merge_thresholds(*layers: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Return the per-rule, per-level union of threshold layers; later layers win."""
    merged: dict[str, dict[str, float]] = {}
    for layer in layers:
        for rule, levels in layer.items():
            merged.setdefault(rule, {}).update(levels)
    return merged


def parse_thresholds(payload: Any) -> dict[str, dict[str, float]]:
    """Return the threshold overrides in a PUT /v1/thresholds body.

    :raise APIError 422: on an unknown rule or level or a value outside [0, 1].
    """
    if not isinstance(payload, dict):
        raise APIError(422, "send an object: {\"<rule>\": {\"review\": 0.5, \"reject\": 0.9}}")
    cleaned: dict[str, dict[str, float]] = {}
    for rule, levels in payload.items():
        if rule not in RULES:
            raise APIError(422, f"unknown rule {rule!r}; the rules are {', '.join(RULES)}",
                           field=str(rule))
        if not isinstance(levels, dict) or not levels:
            raise APIError(422, f"'{rule}' must be an object with some of "
                                f"{', '.join(THRESHOLD_LEVELS)}", field=rule)
        for level, value in levels.items():
            if level not in THRESHOLD_LEVELS:
                raise APIError(422, f"unknown level {level!r} for {rule}: use "
                                    f"{', '.join(THRESHOLD_LEVELS)}", field=f"{rule}.{level}")
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise APIError(422, f"{rule}.{level} must be a number between 0 and 1",
                               field=f"{rule}.{level}")
            cleaned.setdefault(rule, {})[level] = float(value)
    return cleaned


def set_thresholds(connection: Connection, actor: Actor,
                   overrides: Mapping[str, Mapping[str, float]],
                   stored: Mapping[str, Mapping[str, float]],
                   configured: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Replace the admin threshold overrides; return the policy that results.

    :raise APIError 422: when a rule would end with review above reject.
    """
    try:
        policy = Policy.from_model(stored, merge_thresholds(configured, overrides))
    except ValueError as error:
        raise APIError(422, f"impossible thresholds: {error}") from None
    previous = threshold_overrides(connection)
    _put_setting(connection, THRESHOLDS_KEY, {r: dict(v) for r, v in overrides.items()}, actor)
    record_audit(connection, actor, "thresholds.set", detail={"from": previous, "to": overrides})
    bump_version(connection, actor)
    return policy.to_dict()


# --- Building what a worker scores with ---------------------------------------------------------

@dataclass(frozen=True)
class ServingLists:
    """What a worker's matcher is built from: the rules' entries, allowed words, denials."""

    entries: list[KeywordEntry]
    allow: list[str]
    denials: list[str]

    def matcher(self) -> KeywordMatcher:
        return KeywordMatcher(self.entries, allow=self.allow, denials=self.denials)


def apply_overrides(files: ServingLists, overrides: Sequence[Override]) -> ServingLists:
    """Return the file lists with the admins' additions and removals applied."""
    removed = {(o.rule, o.level, o.term) for o in overrides if o.action == "remove"}
    entries = [e for e in files.entries if (e.rule, e.level, e.term) not in removed]
    entries += [KeywordEntry(o.rule, o.level, o.term, o.note or "")
                for o in overrides if o.action == "add" and o.level not in EVERY_RULE_LEVELS]

    def every_rule_terms(level: str, base: Sequence[str]) -> list[str]:
        kept = [term for term in base if (ALL_RULES, level, term) not in removed]
        return kept + [o.term for o in overrides if o.action == "add" and o.level == level]

    return ServingLists(entries, every_rule_terms("allow", files.allow),
                        every_rule_terms("denial", files.denials))


class ServingRefresher:
    """Keeps one process's Moderator in step with the database's lists and thresholds."""

    def __init__(self, moderator: Moderator, keyword_dir: str,
                 configured_thresholds: Mapping[str, Mapping[str, float]], interval: float):
        self.moderator = moderator
        self.files = ServingLists(*load_keyword_entries(keyword_dir), load_denials(keyword_dir))
        self.configured_thresholds = configured_thresholds
        self.interval = interval
        self.version: int | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def maybe_refresh(self, db: Database) -> None:
        """Rebuild the matcher and policy if the version moved; check at most once per interval."""
        now = time.monotonic()
        if now - self._checked_at < self.interval or not self._lock.acquire(blocking=False):
            return
        try:
            self._checked_at = now
            with db.reading() as connection:
                version = current_version(connection)
                if version == self.version:
                    return
                overrides = list_overrides(connection)
                thresholds = threshold_overrides(connection)
            self.apply(overrides, thresholds)
            self.version = version
        except DBAPIError as error:  # e.g. a database not migrated yet: keep scoring with the files
            log.warning("cannot read keyword and threshold overrides: %s", error.orig)
        finally:
            self._lock.release()

    def catch_up(self, db: Database) -> None:
        """Check the version at once, whatever the interval, and rebuild only if it moved."""
        self._checked_at = float("-inf")
        self.maybe_refresh(db)

    def refresh_now(self, db: Database) -> None:
        """Rebuild at once, whatever the interval (after this process made a change)."""
        self.version = None
        self.catch_up(db)

    def apply(self, overrides: Sequence[Override], thresholds: Mapping[str, Mapping[str, float]]):
        """Swap in a matcher and a policy built from the files plus ``overrides``."""
        self.moderator.swap_matcher(apply_overrides(self.files, overrides).matcher())
        self.moderator.swap_thresholds(merge_thresholds(self.configured_thresholds, thresholds))


def init_app(app) -> None:
    """Refresh this process's lists and thresholds from the database before requests."""
    from service.db import get_db_of
    from service.moderation import EXTENSION_KEY as MODERATOR_KEY

    refresher = ServingRefresher(app.extensions[MODERATOR_KEY], app.config["KEYWORD_DIR"],
                                 app.config["THRESHOLDS"],
                                 float(app.config["LISTS_REFRESH_SECONDS"]))
    app.extensions[EXTENSION_KEY] = refresher
    database = get_db_of(app)
    app.before_request(lambda: refresher.maybe_refresh(database))
