"""Who may do what, on the Flask side.

- The site sends ``Authorization: Bearer <key>`` with a key from MODERATION_API_KEYS.
- Moderators and admins script the queue API with ``Authorization: Bearer <token>`` (a token from
  ``flask --app service users token NAME``), and use the review pages through a login session.
- Sessions live in Flask's signed cookie (HttpOnly, SameSite); every form carries a CSRF token
  bound to the session. The JSON API takes no cookies, so it needs no CSRF check.

The account logic itself is in service/accounts.py (no Flask).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hmac
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app, g, request, session
from sqlalchemy import Connection

from service import accounts
from service.db import SchemaCommands, get_db
from service.errors import APIError
from service.queue import Actor, record_audit

API_KEYS_KEY = "moderation_api_keys"
MIN_API_KEY_CHARS = 16
SECRET_KEY_FILE = "secret_key"
SITE, MODERATOR, ADMIN = "site", "moderator", "admin"
STAFF = (MODERATOR, ADMIN)


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    name: str
    role: str  # site | moderator | admin
    user_id: int | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def init_app(app: Flask) -> None:
    """Set the secret key and cookie policy, read the site keys, add the `users` commands."""
    ensure_secret_key(app)
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        hours=float(app.config["SESSION_LIFETIME_HOURS"]))
    keys = accounts.parse_api_keys(app.config.get("API_KEYS"))
    short = [k for k in keys if len(k) < MIN_API_KEY_CHARS]
    if short:
        raise RuntimeError(f"MODERATION_API_KEYS: every key needs at least {MIN_API_KEY_CHARS} "
                           "characters (generate one with `python -c 'import secrets; "
                           "print(secrets.token_urlsafe(32))'`)")
    app.extensions[API_KEYS_KEY] = keys
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.after_request(_challenge)
    app.cli.add_command(users_cli)


def _challenge(response):
    # A 401 names the scheme to use (RFC 9110 asks for WWW-Authenticate).
    if response.status_code == 401 and request.path.startswith(("/v1/", "/metrics")):
        response.headers["WWW-Authenticate"] = 'Bearer realm="moderation"'
    return response


def ensure_secret_key(app: Flask) -> None:
    """Use MODERATION_SECRET_KEY, else a key generated once into the instance folder.

    The file is shared by every worker and survives restarts, so sessions stay valid; it is
    created atomically (link of a finished temp file), so workers starting together agree.
    Tests without a key get a throwaway one and write nothing.
    """
    if app.config.get("SECRET_KEY"):
        return
    if app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    path = Path(app.instance_path) / SECRET_KEY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner only, as the key
        temp = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another worker won the race: use its key
        finally:
            temp.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key: delete it to generate a new one")
    app.config["SECRET_KEY"] = key


# --- The JSON API: bearer credentials ----------------------------------------------------------

def bearer_principal() -> Principal | None:
    """Return who the request's bearer credential belongs to, or None."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        return None
    if accounts.is_site_key(current_app.extensions[API_KEYS_KEY], credential):
        return Principal("site", SITE)
    if credential.startswith(accounts.TOKEN_PREFIX):
        with get_db().reading() as connection:
            user = accounts.user_for_token(connection, credential)
        if user is not None:
            return Principal(user.name, user.role, user.id)
    return None


def require_api(*roles: str):
    """Let the route run only for a bearer credential with one of ``roles``.

    :raise APIError 401: without a valid credential.
    :raise APIError 403: for a credential whose role is not allowed.
    """
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = bearer_principal()
            if principal is None:
                raise APIError(401, "send 'Authorization: Bearer <API key or token>' with a valid "
                                    "key or token")
            if principal.role not in roles:
                raise APIError(403, f"this needs the {' or '.join(roles)} role; you are "
                                    f"{principal.role}")
            g.principal = principal
            return view(*args, **kwargs)
        return wrapper
    return decorator


# --- The review pages: login sessions and CSRF -------------------------------------------------

def session_principal() -> Principal | None:
    """Return the logged-in user of this browser session, or None."""
    if "principal" not in g:
        principal = None
        token = session.get("sid")
        if isinstance(token, str):
            with get_db().reading() as connection:
                user = accounts.session_user(connection, token,
                                             current_app.permanent_session_lifetime)
            if user is not None:
                principal = Principal(user.name, user.role, user.id)
        g.principal = principal
    return g.principal


def log_in(user: accounts.User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token, nothing kept from before)."""
    with get_db().transaction() as connection:
        token = accounts.start_session(connection, user.id,
                                       current_app.permanent_session_lifetime)
        accounts.remember_login_address(connection, user.id, request.remote_addr)
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    g.pop("principal", None)


def log_out() -> None:
    """End the session, on the server too: the cookie's copies stop working."""
    token = session.get("sid")
    if isinstance(token, str):
        with get_db().transaction() as connection:
            accounts.end_session(connection, token)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def csrf_token() -> str:
    """Return this session's CSRF token, creating it on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a form post whose CSRF token is missing or not this session's.

    :raise APIError 400: naming the likely cause (an expired page).
    """
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise APIError(400, "the form's security token is missing or expired: reload the page "
                            "and try again")


# --- CLI ---------------------------------------------------------------------------------------

users_cli = SchemaCommands("users", help="Moderator and admin accounts.")
CLI_ACTOR = Actor("cli", "system")
# A script sets the password through the environment, never on a command line that the shell's
# history and the process list would keep.
password_option = click.option(
    "--password", envvar="MODERATION_USER_PASSWORD", prompt=True, hide_input=True,
    confirmation_prompt=True, help="The password (else MODERATION_USER_PASSWORD, else asked for).")


@contextlib.contextmanager
def account_change() -> Iterator[Connection]:
    """A transaction for one account command; a mistake it names is the command's error."""
    try:
        with get_db().transaction() as connection:
            yield connection
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None


@users_cli.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(accounts.ROLES), default="moderator", show_default=True)
@password_option
def add_user_command(name: str, role: str, password: str) -> None:
    """Create an account that logs in to the review pages."""
    with account_change() as connection:
        user = accounts.create_user(connection, name, role, password)
        record_audit(connection, CLI_ACTOR, "user.add", detail={"name": name, "role": role})
    click.echo(f"created {user.role} {user.name}", err=True)


@users_cli.command("password")
@click.argument("name")
@password_option
def password_command(name: str, password: str) -> None:
    """Set a new password for an account."""
    with account_change() as connection:
        accounts.set_password(connection, name, password)
        record_audit(connection, CLI_ACTOR, "user.password", detail={"name": name})
    click.echo(f"password changed for {name}; browser sessions ended (API tokens still work: "
               f"`users revoke-tokens {name}` revokes them)", err=True)


@users_cli.command("revoke-tokens")
@click.argument("name")
def revoke_tokens_command(name: str) -> None:
    """Revoke every API token of NAME (a leaked token, a script retired)."""
    with account_change() as connection:
        count = accounts.revoke_tokens(connection, name)
        record_audit(connection, CLI_ACTOR, "user.revoke_tokens",
                     detail={"name": name, "tokens": count})
    click.echo(f"revoked {count} API token(s) of {name}", err=True)


@users_cli.command("deactivate")
@click.argument("name")
def deactivate_command(name: str) -> None:
    """Lock NAME out: no login, sessions ended, API tokens revoked (someone who left)."""
    with account_change() as connection:
        accounts.deactivate_user(connection, name)
        record_audit(connection, CLI_ACTOR, "user.deactivate", detail={"name": name})
    click.echo(f"deactivated {name}: sessions ended, API tokens revoked", err=True)


@users_cli.command("activate")
@click.argument("name")
@password_option
def activate_command(name: str, password: str) -> None:
    """Let a deactivated account log in again, with a new password."""
    with account_change() as connection:
        accounts.activate_user(connection, name, password)
        record_audit(connection, CLI_ACTOR, "user.activate", detail={"name": name})
    click.echo(f"activated {name} with a new password (its old API tokens stay revoked: "
               f"`users token {name}` makes a new one)", err=True)


@users_cli.command("token")
@click.argument("name")
def token_command(name: str) -> None:
    """Print a new API token for NAME, alone on stdout (it is not shown again)."""
    with account_change() as connection:
        token = accounts.issue_token(connection, name)
        record_audit(connection, CLI_ACTOR, "user.token", detail={"name": name})
    click.echo(token)


@users_cli.command("list")
def list_command() -> None:
    """List the accounts, their roles, and those deactivated."""
    with get_db().reading() as connection:
        for user, active in accounts.list_users(connection):
            click.echo(f"{user.name}\t{user.role}" + ("" if active else "\tdeactivated"))
