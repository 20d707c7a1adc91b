"""Moderator and admin accounts, their API tokens, and the site's API keys. No Flask here.

Passwords are stored as werkzeug's salted scrypt hashes; API tokens as their SHA-256 (a token is
a 256-bit random string, so a fast hash is enough and a lookup stays one indexed query).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from service.storage import (
    api_tokens,
    login_addresses,
    login_failures,
    login_sessions,
    users,
    utcnow,
)

ROLES = ("moderator", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,100}$")
MIN_PASSWORD_CHARS = 10
# The actors the audit log, the cards and the webhooks' decided_by name for what no person did:
# a person called "system" would look like the service deciding on its own.
RESERVED_NAMES = ("system", "site", "cli")
TOKEN_PREFIX = "mod_"
# Checked when a name is unknown, so a login takes as long for a wrong name as for a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password, only for timing")


class AccountError(ValueError):
    """A name, role or password that cannot be used; the message says why."""


@dataclass(frozen=True)
class User:
    """A person who moderates."""

    id: int
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row) -> User:
    return User(row.id, row.name, row.role)


def check_new_account(name: str, role: str, password: str) -> None:
    """Raise AccountError unless ``name``, ``role`` and ``password`` are acceptable."""
    if not NAME_PATTERN.match(name or ""):
        raise AccountError("a user name is 1-100 characters of letters, digits and . _ @ -")
    if name.lower() in RESERVED_NAMES:
        raise AccountError(f"{name!r} is the name the history and the webhooks give the "
                           f"service itself; choose another")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")


def create_user(connection: Connection, name: str, role: str, password: str) -> User:
    """Store a new account.

    :raise AccountError: on a bad name, role or password, or a name already taken.
    """
    check_new_account(name, role, password)
    try:
        with connection.begin_nested():
            user_id = connection.execute(insert(users).values(
                name=name, role=role, password_hash=generate_password_hash(password), active=True,
                created_at=utcnow()).returning(users.c.id)).scalar_one()
    except IntegrityError:
        if not _account(connection, name).active:
            raise AccountError(f"the user {name!r} exists already, deactivated: "
                               f"`users activate {name}` brings it back") from None
        raise AccountError(f"the user {name!r} exists already") from None
    return User(user_id, name, role)


def set_password(connection: Connection, name: str, password: str) -> None:
    """Replace a user's password.

    :raise AccountError: on a short password or an unknown user.
    """
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    user_id = _active_user_id(connection, name)
    connection.execute(update(users).where(users.c.id == user_id)
                       .values(password_hash=generate_password_hash(password)))
    end_sessions_of(connection, user_id)
    _forget_addresses(connection, user_id)  # one of them may be whoever learnt the old password


def get_user(connection: Connection, user_id: int) -> User | None:
    """Return the active user with ``user_id``, or None."""
    row = connection.execute(select(users).where(users.c.id == user_id, users.c.active)).first()
    return None if row is None else _user(row)


def list_users(connection: Connection) -> list[tuple[User, bool]]:
    """Return every user, by name, each with whether the account is active."""
    rows = connection.execute(select(users).order_by(users.c.name))
    return [(_user(row), bool(row.active)) for row in rows]


def authenticate(connection: Connection, name: str, password: str) -> User | None:
    """Return the user if ``password`` is theirs, else None."""
    row = connection.execute(select(users).where(users.c.name == name, users.c.active)).first()
    if row is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return _user(row) if check_password_hash(row.password_hash, password or "") else None


def hash_token(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(connection: Connection, name: str) -> str:
    """Create an API token for the user ``name`` and return it (shown once, stored hashed).

    :raise AccountError: when there is no such user.
    """
    user_id = _active_user_id(connection, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    connection.execute(insert(api_tokens).values(user_id=user_id, token_hash=hash_token(token),
                                                 created_at=utcnow()))
    return token


def user_for_token(connection: Connection, token: str) -> User | None:
    """Return the active user an API token belongs to, or None."""
    row = connection.execute(
        select(users).join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == hash_token(token), users.c.active)).first()
    return None if row is None else _user(row)


def start_session(connection: Connection, user_id: int, max_age: dt.timedelta) -> str:
    """Record a browser login for ``user_id``; return the secret its cookie will carry.

    Sessions ended or older than ``max_age`` can never be used again: they are deleted here.
    """
    now = utcnow()
    connection.execute(delete(login_sessions).where(
        login_sessions.c.ended_at.is_not(None) | (login_sessions.c.created_at <= now - max_age)))
    token = secrets.token_urlsafe(32)
    connection.execute(insert(login_sessions).values(
        user_id=user_id, token_hash=hash_token(token), created_at=now))
    return token


def session_user(connection: Connection, token: str, max_age: dt.timedelta) -> User | None:
    """Return the active user of an open login session younger than ``max_age``, or None."""
    row = connection.execute(
        select(users).join(login_sessions, login_sessions.c.user_id == users.c.id)
        .where(login_sessions.c.token_hash == hash_token(token),
               login_sessions.c.ended_at.is_(None),
               login_sessions.c.created_at > utcnow() - max_age, users.c.active)).first()
    return None if row is None else _user(row)


def end_session(connection: Connection, token: str) -> None:
    """End one login session (logging out)."""
    connection.execute(update(login_sessions).where(
        login_sessions.c.token_hash == hash_token(token), login_sessions.c.ended_at.is_(None))
        .values(ended_at=utcnow()))


def end_sessions_of(connection: Connection, user_id: int) -> None:
    """End every login session of a user: a new password logs out every browser."""
    connection.execute(update(login_sessions).where(
        login_sessions.c.user_id == user_id, login_sessions.c.ended_at.is_(None))
        .values(ended_at=utcnow()))


def _account(connection: Connection, name: str):
    """The id and ``active`` flag of the account ``name``, active or not."""
    row = connection.execute(select(users.c.id, users.c.active).where(users.c.name == name)).first()
    if row is None:
        raise AccountError(f"no user {name!r}")
    return row


def _user_id(connection: Connection, name: str) -> int:
    return _account(connection, name).id


def _active_user_id(connection: Connection, name: str) -> int:
    """The id of the active account ``name``; a deactivated one is refused, saying so, since a
    new password or token would do nothing while it stays locked."""
    account = _account(connection, name)
    if not account.active:
        raise AccountError(f"the user {name!r} is deactivated: `users activate {name}` brings "
                           f"it back with a new password")
    return account.id


def activate_user(connection: Connection, name: str, password: str) -> None:
    """Let a deactivated account log in again, with a new password: whatever locked it out
    (someone who left, a password that leaked) should not let the old one back in.

    :raise AccountError: on a short password, an unknown user or an account already active.
    """
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    account = _account(connection, name)
    if account.active:
        raise AccountError(f"the user {name!r} is active already")
    connection.execute(update(users).where(users.c.id == account.id).values(
        active=True, password_hash=generate_password_hash(password)))


def revoke_tokens(connection: Connection, name: str) -> int:
    """Delete every API token of the user ``name``; return how many there were.

    :raise AccountError: when there is no such user.
    """
    return _delete_tokens(connection, _user_id(connection, name))


def deactivate_user(connection: Connection, name: str) -> None:
    """Lock an account out for good: no login, its sessions ended, its tokens revoked. The row
    stays, so the audit log keeps naming who decided what.

    :raise AccountError: when there is no such user.
    """
    user_id = _user_id(connection, name)
    connection.execute(update(users).where(users.c.id == user_id).values(active=False))
    end_sessions_of(connection, user_id)
    _forget_addresses(connection, user_id)
    _delete_tokens(connection, user_id)


def _forget_addresses(connection: Connection, user_id: int) -> None:
    connection.execute(delete(login_addresses).where(login_addresses.c.user_id == user_id))


def _delete_tokens(connection: Connection, user_id: int) -> int:
    return connection.execute(delete(api_tokens).where(api_tokens.c.user_id == user_id)).rowcount


LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
# Failures are counted per account name and client address: ten from one address refuse that
# name to that address only, so someone who keeps failing on purpose locks out no one but
# themselves. The cap over every address together still stops guessing spread over many
# addresses, but not at the addresses the account has logged in from within KNOWN_ADDRESS_WINDOW:
# otherwise an attacker with a hundred addresses' worth of tries could lock a moderator out of
# their own desk. Guessing from such an address still meets its own ten. An IPv6 client counts
# as its /64, the block one subscriber is given, or one attacker would hold billions of addresses.
MAX_LOGIN_FAILURES = 10  # per account name from one client address within the window
MAX_LOGIN_FAILURES_PER_NAME = 100  # per account name from all addresses together
KNOWN_ADDRESS_WINDOW = dt.timedelta(days=30)
ADDRESS_CHARS = 45  # the longest textual IP address: IPv4-mapped IPv6


def _stored_address(address: str | None) -> str:
    """The client as the ``login_failures`` table keeps it: an IPv4 address, an IPv6 client's
    /64 ("2001:db8:1:2::/64"), or what the server reported if it is neither ("" for none)."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "").replace("\x00", "")[:ADDRESS_CHARS]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    if isinstance(parsed, ipaddress.IPv6Address):
        return ipaddress.IPv6Network((int(parsed) >> 64 << 64, 64)).with_prefixlen
    return str(parsed)


def login_refused(connection: Connection, name: str, address: str | None) -> bool:
    """Whether ``name`` has failed to log in too often lately to be checked again now: from the
    client ``address``, or from everywhere together unless ``name`` logged in from ``address``
    within KNOWN_ADDRESS_WINDOW."""
    address = _stored_address(address)
    recent = login_failures.c.at > utcnow() - LOGIN_FAILURE_WINDOW
    from_here = func.count(case((login_failures.c.address == address, 1)))
    everywhere, here = connection.execute(
        select(func.count(), from_here).select_from(login_failures)
        .where(login_failures.c.name == name[:100], recent)).one()
    if here >= MAX_LOGIN_FAILURES:
        return True
    if everywhere < MAX_LOGIN_FAILURES_PER_NAME:
        return False
    return not _known_address(connection, name, address)


def _known_address(connection: Connection, name: str, address: str) -> bool:
    return connection.execute(
        select(login_addresses.c.user_id)
        .join(users, users.c.id == login_addresses.c.user_id)
        .where(users.c.name == name, login_addresses.c.address == address,
               login_addresses.c.last_at > utcnow() - KNOWN_ADDRESS_WINDOW)).first() is not None


def remember_login_address(connection: Connection, user_id: int, address: str | None) -> None:
    """Record that ``user_id`` has just logged in from the client ``address``.

    Addresses not used for longer than KNOWN_ADDRESS_WINDOW are deleted here, anyone's.
    """
    now = utcnow()
    address = _stored_address(address)
    connection.execute(delete(login_addresses).where(
        login_addresses.c.last_at <= now - KNOWN_ADDRESS_WINDOW))
    seen = (login_addresses.c.user_id == user_id) & (login_addresses.c.address == address)
    if connection.execute(update(login_addresses).where(seen).values(last_at=now)).rowcount:
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(login_addresses).values(
                user_id=user_id, address=address, last_at=now))
    except IntegrityError:  # the same person's login in another tab got there first
        connection.execute(update(login_addresses).where(seen).values(last_at=now))


def record_login_failure(connection: Connection, name: str, address: str | None) -> None:
    """Count a failed login for ``name`` from the client ``address`` (known name or not: the
    answer must not tell them apart).

    Failures older than the window count for nothing and are deleted here, so guesses spread over
    many names or addresses cannot grow the table past what one window holds.
    """
    now = utcnow()
    connection.execute(delete(login_failures).where(
        login_failures.c.at <= now - LOGIN_FAILURE_WINDOW))
    connection.execute(insert(login_failures).values(
        name=name[:100], address=_stored_address(address), at=now))


def parse_api_keys(value: object) -> tuple[str, ...]:
    """Return the site keys configured as a JSON list or a comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[object] = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:  # a bare number parsed from the environment
        items = [value]
    return tuple(k for k in (str(item).strip() for item in items) if k)


def is_site_key(keys: Iterable[str], presented: str) -> bool:
    """Return True if ``presented`` is one of the site's keys (constant-time comparison)."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(key.encode(), presented.encode())
    return found
