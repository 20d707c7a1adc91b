"""Comment moderation for Arabic-language news sites.

Run with ``gunicorn 'service:create_app()'``. Configuration comes from ``MODERATION_*``
environment variables (docs/configuration.md has the table)."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from service import (
    admin,
    api,
    auth,
    comments,
    db,
    errors,
    health,
    moderation,
    outbox,
    overrides,
    reload,
    review,
)
from service.config import DEFAULTS, check_config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, proxies, errors, scoring, database, auth, lists, webhooks,
    blueprints."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    trust_proxies(app)
    errors.register_error_handlers(app)
    moderation.init_app(app)
    reload.init_app(app)
    db.init_app(app)
    auth.init_app(app)
    overrides.init_app(app)
    outbox.init_app(app)
    register_blueprints(app)
    app.after_request(add_security_headers)
    return app


def load_config(app: Flask, test_config: dict | None) -> None:
    """Defaults, then MODERATION_* environment variables, then the test mapping."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("MODERATION")
    if test_config:
        app.config.update(test_config)
    check_config(app.config)
    app.json.ensure_ascii = False  # Arabic stays readable in responses and logs.


def trust_proxies(app: Flask) -> None:
    """Behind MODERATION_PROXY_COUNT reverse proxies, take the client's address and scheme from
    the X-Forwarded-For / X-Forwarded-Proto entries those proxies added (the login limit counts
    failures per address); with 0, the headers are ignored, since any client can send them."""
    count = app.config["PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def add_security_headers(response):
    """Headers every answer carries; a page (HTML) also gets the review pages' policy."""
    # A browser must never read a JSON answer holding a reader's comment as HTML or script.
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":  # an error page, e.g. an unknown /review/ address
        review.add_page_headers(response)
    return response


def register_blueprints(app: Flask) -> None:
    """Mount the API, the health endpoints, the queue API and the review pages."""
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(review.bp)
