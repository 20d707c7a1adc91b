"""The moderators' workspace: server-rendered pages in Arabic (right-to-left) or French.

Routes read the form or query, call the same plain functions as the JSON API (service.queue,
service.overrides) and render a template. Every POST carries the session's CSRF token.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from service import accounts, auth, outbox, overrides, queue
from service.admin import catch_up, keyword_view, refresh_now, serving_files, threshold_view
from service.db import get_db
from service.errors import APIError
from service.highlight import highlight
from service.i18n import DEFAULT_LANGUAGE, LANGUAGES, MESSAGES, error_heading, translate
from service.metrics import Outcomes, verdict_outcomes
from service.moderation import get_moderator
from service.queue_input import (
    DECIDERS,
    MAX_SEARCH_CHARS,
    DecisionRequest,
    FieldErrors,
    parse_queue_query,
    parse_rules,
)
from service.rules import RULES
from service.scoring import passage_of, words_behind
from service.storage import STATUSES, utcnow

bp = Blueprint("review", __name__, url_prefix="/review", template_folder="templates",
               static_folder="static", static_url_path="/static")

# No inline script or style is allowed: even a comment that slipped past escaping could not run.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'; form-action 'self'")
# The settings page compares the service's verdicts with moderators' decisions over this many
# days: a week holds enough decisions to see a drift and is short enough to show a new model.
OUTCOME_DAYS = 7


@bp.before_request
def _before():
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    g.lang = session.get("lang", DEFAULT_LANGUAGE)
    if request.method == "POST":
        # A form field with %00 decodes to NUL, which PostgreSQL refuses to store or compare.
        if any("\x00" in value for _, values in request.form.lists() for value in values):
            raise APIError(400, "the form contains a NUL character")
        if request.endpoint != "review.login" and auth.session_principal() is None:
            # Logged out or expired in another tab: the form can only fail, so go and log in
            # again rather than stop at a "reload the page" error that would fail the same way,
            # and come back to the page the form was on, its filters and all.
            flash(translate("session_ended", g.lang), "warning")
            back = _local_target(request.form.get("next") or _referrer_path(), "")
            return redirect(url_for("review.login", next=back or None))
        auth.check_csrf()


@bp.errorhandler(APIError)
@bp.errorhandler(HTTPException)
def _error_page(error):
    """An error on a page, in the moderator's language, with a link back (not a dead end)."""
    code = error.code or 500
    heading = error_heading(code)
    back = _local_target(_referrer_path(), url_for("review.queue_page"))
    return render_template("review/error.html", code=code, heading=heading,
                           description=error.description, back=back), code


def _referrer_path() -> str | None:
    """The page the request came from, as a path (_local_target still checks it is ours)."""
    if not request.referrer:
        return None
    return urlsplit(request.referrer)._replace(scheme="", netloc="").geturl()


@bp.after_request
def _headers(response):
    return add_page_headers(response)


def add_page_headers(response):
    """The headers every page carries: the review pages, and the error pages an address no
    route matched gets (service/__init__.py), which these pages' hook never sees."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.context_processor
def _template_helpers():
    lang = g.get("lang", DEFAULT_LANGUAGE)
    return {"t": lambda key, **values: translate(key, lang, **values), "lang": lang,
            "t_or": lambda key, stored: translate(key, lang) if key in MESSAGES else stored,
            "direction": LANGUAGES.get(lang, "rtl"), "RULES": RULES, "STATUSES": STATUSES,
            "DECIDERS": DECIDERS, "user": auth.session_principal() if "sid" in session else None,
            "highlight": highlight, "other_language_url": _other_language_url(lang),
            "readable_time": _readable_time, "MAX_SEARCH_CHARS": MAX_SEARCH_CHARS,
            "error_heading": error_heading}


def _readable_time(value: str | dt.datetime | None) -> str:
    """A stored time (a datetime or the API's ISO string) as moderators read it, in UTC."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%d %H:%M") + " UTC"


def _other_language_url(lang: str) -> str:
    """This page in the other language, keeping its filters, cursor and login target."""
    args = request.args.to_dict(flat=False)
    args["lang"] = ["fr" if lang == "ar" else "ar"]
    return request.path + "?" + urlencode(args, doseq=True)


def login_required(admin: bool = False):
    """Send visitors to the login page; refuse non-admins a page that changes policy."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = auth.session_principal()
            if principal is None:
                return redirect(url_for("review.login", next=request.full_path.rstrip("?")))
            if admin and not principal.is_admin:
                raise APIError(403, translate("admins_only", g.lang))
            return view(*args, **kwargs)
        return wrapper
    return decorator


def _local_target(target: str | None, default: str) -> str:
    """Return ``target`` if it is a path in this workspace, else ``default`` (no open redirect)."""
    # A control character could never be a header value (a CR/LF would end it): the redirect
    # would fail after the decision was saved, so such a target is no target.
    if target and not any(ord(c) < 32 or ord(c) == 127 for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/review/"):
            return target
    return default


@bp.get("/")
def index():
    """Open the pending queue."""
    return redirect(url_for("review.queue_page"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; log in with a name and password."""
    target = _local_target(request.values.get("next"), url_for("review.queue_page"))
    if request.method == "GET":
        return render_template("review/login.html", next=target)
    name = request.form.get("username", "")
    # Failures count per name and client address. Behind a reverse proxy remote_addr is the
    # proxy's own unless MODERATION_PROXY_COUNT says how many proxies to look through.
    with get_db().reading() as connection:
        if accounts.login_refused(connection, name, request.remote_addr):
            return render_template("review/login.html", next=target, refused=True), 429
        user = accounts.authenticate(connection, name, request.form.get("password", ""))
    if user is None:
        with get_db().transaction() as connection:
            accounts.record_login_failure(connection, name, request.remote_addr)
        return render_template("review/login.html", next=target, failed=True), 401
    lang = session.get("lang")
    auth.log_in(user)
    if lang:
        session["lang"] = lang
    return redirect(target)


@bp.post("/logout")
def logout():
    """End the session."""
    auth.log_out()
    return redirect(url_for("review.login"))


@bp.get("/queue")
@login_required()
def queue_page():
    """List comments with filters, counts and bulk actions."""
    query = parse_queue_query(request.args, current_app.config["QUEUE_PAGE_SIZE"])
    with get_db().reading() as connection:
        page = queue.list_queue(connection, query)
        authors = queue.author_summaries(connection, [row.author_id for row in page.rows])
    args = {k: v for k, v in request.args.items() if k not in ("cursor", "lang")}
    return render_template("review/queue.html", page=page, query=query, authors=authors,
                           args=args, here=request.full_path.rstrip("?"))


@bp.get("/comments/<comment_id>")
@login_required()
def comment_page(comment_id: str):
    """Show one comment with its history and its author's earlier comments."""
    with get_db().reading() as connection:
        row = queue.get_comment(connection, comment_id)
        history = queue.comment_history(connection, row.pk)
        earlier = queue.author_history(connection, row.author_id, before_pk=row.pk)
        authors = queue.author_summaries(connection, [row.author_id])
    words = words_behind(row.text, row.reasons, row.model_version, get_moderator().bundle)
    return render_template("review/comment.html", row=row, history=history, earlier=earlier,
                           authors=authors, words=words, passage_of=passage_of,
                           here=request.full_path.rstrip("?"))


def _form_decision() -> DecisionRequest:
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        raise APIError(422, "choose approve or reject")
    errors = FieldErrors()
    rules = parse_rules(request.form.getlist("rules"), errors) if decision == "reject" else ()
    if errors.items:
        raise APIError(422, errors.items[0]["message"])
    note = request.form.get("note", "").strip()[:2000] or None
    expect = request.form.get("expect_status") or None
    if expect is not None and expect not in STATUSES:
        raise APIError(422, "unknown status")
    return DecisionRequest(decision, rules, note, expect)


@bp.post("/comments/<comment_id>/decision")
@login_required()
def decide(comment_id: str):
    """Approve or reject one comment from its card, then go back to the queue."""
    target = _local_target(request.form.get("next"), url_for("review.queue_page"))
    try:
        outcome = queue.decide(get_db(), comment_id, _form_decision(),
                               auth.session_principal().actor, notify=outbox.webhooks_enabled())
    except APIError as error:
        if error.code == 410:
            # The site deleted it while the card was open: say so where the page says the rest.
            flash(translate("comment_withdrawn", g.lang), "warning")
            return redirect(target)
        if error.code != 409:
            raise
        with get_db().reading() as connection:
            row = queue.get_comment(connection, comment_id)
        who = translate("system", g.lang) if row.decided_by == "system" else row.decided_by
        flash(translate("decision_conflict", g.lang, who=who,
                        status=translate(f"comment_status_{row.status}", g.lang)), "warning")
        return redirect(target)
    if outcome.event_id:
        outbox.notify_worker()
    flash(translate("decision_saved", g.lang), "success")
    return redirect(target)


@bp.post("/decisions")
@login_required()
def decide_bulk():
    """Apply approve or reject to every selected comment."""
    target = _local_target(request.form.get("next"), url_for("review.queue_page"))
    ids = list(dict.fromkeys(request.form.getlist("ids")))[:current_app.config["MAX_BULK"]]
    if not ids:
        flash(translate("nothing_selected", g.lang), "warning")
        return redirect(target)
    decision = _form_decision()
    if decision.decision == "reject" and not decision.rules:
        # The bulk form has no rule boxes: a rejection is for what the service flagged, so it
        # still says which rule it broke and becomes a training label (training.export).
        decision = dataclasses.replace(decision, rules=None)
    seen = {i: request.form.get(f"seen:{i}") for i in ids}
    results = queue.decide_many(get_db(), ids, decision, auth.session_principal().actor,
                                notify=outbox.webhooks_enabled(),
                                expect_status={i: s for i, s in seen.items() if s in STATUSES})
    outbox.notify_worker()
    done = sum(1 for r in results if r["result"] in ("updated", "unchanged"))
    flash(translate("bulk_done", g.lang, n=done), "success")
    conflicts = sum(1 for r in results if r["result"] == "conflict")
    if conflicts:
        flash(translate("bulk_conflicts", g.lang, n=conflicts), "warning")
    withdrawn = sum(1 for r in results if r["result"] == "withdrawn")
    if withdrawn:
        flash(translate("bulk_withdrawn", g.lang, n=withdrawn), "warning")
    return redirect(target)


@bp.get("/keywords")
@login_required()
def keywords_page():
    """Show the keyword lists and the admins' changes; admins get the forms."""
    catch_up()
    return _render_keywords()


def _render_keywords(typed=None, form_error: APIError | None = None):
    view = keyword_view()
    # A file entry an override already hides: the page says so and offers that override.
    hidden = {(o["rule"], o["level"], o["term"]): o["id"]
              for o in view["overrides"] if o["action"] == "remove"}
    return render_template("review/keywords.html", view=view, hidden=hidden,
                           rule_filter=request.args.get("rule"), LEVELS=overrides.LEVELS,
                           EVERY_RULE_LEVELS=overrides.EVERY_RULE_LEVELS, typed=typed or {},
                           form_error=form_error)


@bp.post("/keywords")
@login_required(admin=True)
def keywords_add():
    """Add an entry, or hide a file entry, for one rule and level."""
    action = request.form.get("action", "add")
    try:
        with get_db().transaction() as connection:
            overrides.add_override(connection, auth.session_principal().actor, serving_files(),
                                   rule=request.form.get("rule"), level=request.form.get("level"),
                                   term=request.form.get("term"), action=action,
                                   note=request.form.get("note") or None)
    except APIError as error:
        if error.code not in (409, 422):
            raise
        # A duplicate or a term the matcher refuses: say so above the form, with what the
        # admin typed still in it, rather than on an error page that loses it.
        typed = request.form.to_dict() if action == "add" else None
        return _render_keywords(typed, error), error.code
    refresh_now()
    flash(translate("lists_saved", g.lang), "success")
    return redirect(url_for("review.keywords_page"))


@bp.post("/keywords/<int:override_id>/delete")
@login_required(admin=True)
def keywords_delete(override_id: int):
    """Delete an admin change to the lists."""
    with get_db().transaction() as connection:
        overrides.delete_override(connection, auth.session_principal().actor, override_id)
    refresh_now()
    flash(translate("lists_saved", g.lang), "success")
    return redirect(url_for("review.keywords_page"))


@bp.get("/settings")
@login_required()
def settings_page():
    """Show the model in service and its thresholds; admins can change the thresholds."""
    catch_up()
    return _render_settings()


def _render_settings(typed=None, form_error: APIError | None = None):
    with get_db().reading() as connection:
        outcomes = Outcomes(verdict_outcomes(connection, utcnow() - dt.timedelta(
            days=OUTCOME_DAYS)))
    return render_template("review/settings.html", view=threshold_view(),
                           metadata=get_moderator().bundle.metadata,
                           LEVELS=overrides.THRESHOLD_LEVELS, typed=typed or {},
                           form_error=form_error, outcomes=outcomes, OUTCOME_DAYS=OUTCOME_DAYS)


def _form_thresholds() -> dict:
    """The thresholds the settings form sets, checked.

    :raise APIError 422: naming the first field that is not a number or not a valid threshold.
    """
    submitted = {}
    for rule in RULES:
        for level in overrides.THRESHOLD_LEVELS:
            # Admins write 0,5 (French) or ٠٫٥ (Arabic) as often as 0.5; float() reads the
            # Arabic-Indic digits itself. Adding 0.0 turns -0 into 0.
            raw = request.form.get(f"{rule}.{level}", "").strip().replace(",", ".")
            raw = raw.replace("\u066b", ".")  # ARABIC DECIMAL SEPARATOR
            if raw:
                try:
                    submitted.setdefault(rule, {})[level] = float(raw) + 0.0
                except ValueError:
                    raise APIError(422, f"{rule}.{level}: not a number") from None
    return overrides.parse_thresholds(submitted) if submitted else {}


@bp.post("/settings/thresholds")
@login_required(admin=True)
def settings_thresholds():
    """Save the admins' threshold overrides from the settings form (blank means the model's)."""
    try:
        new = _form_thresholds()
        with get_db().transaction() as connection:
            overrides.set_thresholds(connection, auth.session_principal().actor, new,
                                     get_moderator().bundle.thresholds,
                                     current_app.config["THRESHOLDS"])
    except APIError as error:
        if error.code != 422:
            raise
        # Shown above the form with every value as typed, so one slip costs no retyping.
        return _render_settings(request.form.to_dict(), error), error.code
    refresh_now()
    flash(translate("thresholds_saved", g.lang), "success")
    return redirect(url_for("review.settings_page"))
