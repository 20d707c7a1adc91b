"""One JSON error envelope for the API: ``{"code", "message", "description"}``, plus ``"errors"``
for validation problems. Browsers asking for HTML get a small HTML page instead."""

from flask import Flask, current_app, jsonify, render_template_string, request, session
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from service.i18n import DEFAULT_LANGUAGE, LANGUAGES, error_heading, translate


class APIError(Exception):
    """A domain error that becomes a JSON error response."""

    def __init__(
        self, code: int, description: str, errors: list | None = None, field: str | None = None
    ):
        super().__init__(description)
        self.code = code
        self.description = description
        # A problem with one field is listed like the many-field ones, so clients read one shape.
        if errors is None and field is not None:
            errors = [{"field": field, "message": description}]
        self.errors = errors


# For errors no page's own handler took (an unknown /review/ address, a GET on a form's URL),
# in the language the moderator chose for the session. The description is the server's English:
# dir="auto" keeps its full stop at its end on a right-to-left page.
_HTML_ERROR = """<!doctype html>
<html lang="{{ lang }}" dir="{{ direction }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ code }} · {{ title }}</title>
<link rel="stylesheet" href="{{ url_for('review.static', filename='review.css') }}"></head>
<body><main><section class="error-page">
<h1>{{ title }}</h1>
<p class="error-detail">{{ detail_label }}:
  <span dir="auto">{{ code }} {{ name }}. {{ description }}</span></p>
<p><a href="{{ url_for('review.queue_page') }}">{{ back }}</a></p>
</section></main></body></html>"""


def _html_error(code: int, name: str, description: str) -> str:
    lang = request.args.get("lang")
    if lang not in LANGUAGES:
        lang = session.get("lang", DEFAULT_LANGUAGE)
    return render_template_string(
        _HTML_ERROR, code=code, name=name, description=description, lang=lang,
        direction=LANGUAGES.get(lang, "rtl"), title=translate(error_heading(code), lang),
        detail_label=translate("error_detail", lang), back=translate("back_to_queue", lang))


def _wants_json() -> bool:
    if request.path.startswith(("/v1/", "/healthz", "/readyz", "/openapi", "/metrics")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def _respond(
    code: int, name: str, description: str, errors: list | None = None,
    headers: list | None = None,
):
    headers = headers or []
    if not _wants_json():
        return _html_error(code, name, description), code, headers
    body = {"code": code, "message": name, "description": description}
    if errors:
        body["errors"] = errors
    return jsonify(body), code, headers


def _handle_api_error(error: APIError):
    name = HTTP_STATUS_CODES.get(error.code, "Error")
    return _respond(error.code, name, error.description, error.errors)


def _handle_http_exception(error: HTTPException):
    # Keep the headers the status needs (Allow on a 405, Retry-After, WWW-Authenticate); the
    # body, and so its Content-Type, is ours.
    headers = [(key, value) for key, value in error.get_headers()
               if key.lower() != "content-type"]
    return _respond(error.code or 500, error.name, error.description or "", headers=headers)


def _handle_unexpected(error: Exception):
    # Never leak a traceback: log it, answer with the generic 500.
    current_app.logger.exception("unhandled error", exc_info=error)
    generic = InternalServerError()
    return _respond(500, generic.name, generic.description)


def register_error_handlers(app: Flask) -> None:
    """Send every error through the one envelope."""
    app.register_error_handler(APIError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    if not app.debug:
        app.register_error_handler(Exception, _handle_unexpected)
