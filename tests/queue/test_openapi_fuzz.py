"""Every operation of the OpenAPI document, fuzzed in-process by schemathesis (no network).

Each operation gets a fresh queue app (tests/queue/conftest.py: the tiny session model, a migrated
SQLite copy, the site key and an admin token) holding three comments and one keyword override,
so the documented examples reach real records (comment "98121", override 1). Schemathesis sends
the schema's examples, its coverage cases and MAX_EXAMPLES generated requests, valid and invalid,
and checks every answer: never a 5xx, a documented status, content type, headers and body, a 4xx
for schema-violating input and no 422 for schema-valid input, a 401 without credentials, an
Allow header on a 405. Derandomized, so a run is the same on every machine; a failure prints a
curl command that reproduces it. A longer run by hand: docs/queue.md, "Errors".
"""

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.queue.conftest import BLOCKED, CLEAN, ROLES, SUSPECT, comment

OPENAPI = Path(__file__).parents[2] / "service" / "openapi.json"
MAX_EXAMPLES = 25  # generated requests per operation, beyond the examples and coverage cases

# Operations whose server-side rules JSON Schema cannot state, so schema-valid input may rightly
# get a 422: a keyword term must keep a letter once normalized (and an allowed word be one word);
# thresholds must end suspect <= review <= reject once merged with the model's own. Every other
# check still runs on them. A queue `cursor` is opaque: any string the service did not give out
# is a 422 (see test_api).
SEMANTIC = {"POST /v1/keywords", "PUT /v1/thresholds"}


class CurrentApp:
    """A WSGI app that hands each request to the app of the running test.

    The schema must exist when pytest collects the tests, before any fixture has built an app.
    """

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


CURRENT = CurrentApp()
CONFIG = schemathesis.Config.from_dict({
    # The test sends real credentials; a generated Authorization header would be overwritten by
    # them, turning a "bad credential" case into a good one. Missing credentials are still tried
    # (the ignored_auth check sends every request once without them and expects a 401).
    "generation": {"with-security-parameters": False},
    "checks": {
        # 400 (not text: a NUL or a lone surrogate) and 413 (over a configured limit) answer input
        # the schema cannot describe; a 422 to schema-valid input is a gap in the document.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "413"]},
    },
})
schema = schemathesis.openapi.from_dict(json.loads(OPENAPI.read_text(encoding="utf-8")),
                                        config=CONFIG)
schema.app = CURRENT


@pytest.fixture
def served(queue_app):
    """The queue app, with the records the document's examples name, behind CURRENT."""
    client = queue_app.test_client()
    for comment_id, text in [("98121", CLEAN), ("98122", SUSPECT), ("98123", BLOCKED)]:
        response = client.post("/v1/comments", json=comment(comment_id, text),
                               headers=ROLES.site)
        assert response.status_code == 201, response.get_data(as_text=True)
    response = client.post("/v1/keywords", json={"rule": "insult", "level": "block",
                                                 "term": "بخوش"}, headers=ROLES.admin)
    assert response.status_code == 201 and response.get_json()["id"] == 1
    CURRENT.app = queue_app
    yield queue_app
    CURRENT.app = None


# What only the site's key may do; an admin may do everything else.
SITE_ONLY = {"POST /v1/comments", "DELETE /v1/comments/{comment_id}"}


def credentials(label: str) -> dict:
    """Only the site posts and withdraws comments; an admin may do everything else."""
    return ROLES.site if label in SITE_ONLY else ROLES.admin


@schema.parametrize()
# One app (one database) per operation, shared by its examples: records pile up as they would
# in service, which is the point, hence the function-scoped fixture.
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case, served):
    excluded = []
    if case.operation.label in SEMANTIC or (case.query or {}).get("cursor"):
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=credentials(case.operation.label), excluded_checks=excluded)


def test_the_fuzzed_document_is_the_one_served(client):
    assert client.get("/openapi.json").get_json() == json.loads(
        OPENAPI.read_text(encoding="utf-8"))


def test_a_keyword_override_without_a_note_is_documented(served):
    # The 201 answer used to be documented as the request ("note": a string), not the stored
    # override, which has "note": null when none was sent (found by the fuzz test).
    response = served.test_client().post(
        "/v1/keywords", json={"rule": "*", "level": "allow", "term": "حمار الوحش"},
        headers=ROLES.admin)
    assert response.status_code == 201 and response.get_json()["note"] is None
    schema["/v1/keywords"]["POST"].validate_response(response)
