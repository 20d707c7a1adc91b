"""The JSON API: answers for good input, the one error envelope for every kind of bad input."""

import io
import json
import re

import pytest

from service.rules import RULES


def post_json(client, url, payload):
    return client.post(
        url, data=json.dumps(payload, ensure_ascii=False), content_type="application/json"
    )


def assert_error(response, code):
    assert response.status_code == code, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= {"code", "message", "description"}
    assert body["code"] == code and body["description"]
    return body


def test_moderate_answers_the_documented_shape(client):
    response = post_json(client, "/v1/moderate", {"text": "مقال رائع شكرا للكاتب"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["verdict"] in {"approve", "review", "reject"}
    assert set(body["scores"]) == set(RULES)
    assert all(0.0 <= s <= 1.0 for s in body["scores"].values())
    assert isinstance(body["flags"], list) and isinstance(body["matches"], list)
    assert body["model_version"]


def test_block_term_is_rejected_with_exact_offsets(client):
    text = "هاد الشي حشومة، نعل دين مك"
    body = post_json(client, "/v1/moderate", {"text": text}).get_json()
    assert body["verdict"] == "reject"
    assert "religion" in body["flags"]
    match = next(m for m in body["matches"] if m["rule"] == "religion")
    assert set(match) == {"rule", "level", "term", "start", "end"}
    assert text[match["start"] : match["end"]].startswith("نعل")


def test_batch_keeps_order_and_matches_single(client):
    texts = ["مقال رائع", "نعل دين مك", "le ministre doit démissionner"]
    results = post_json(client, "/v1/moderate/batch", {"texts": texts}).get_json()["results"]
    assert len(results) == 3
    for text, result in zip(texts, results, strict=True):
        single = post_json(client, "/v1/moderate", {"text": text}).get_json()
        assert result == single


def test_model_endpoint_reports_version_metrics_thresholds(client):
    body = client.get("/v1/model").get_json()
    assert body["model_version"]
    assert set(body["thresholds"]) == set(RULES)
    assert "validation" in body["metrics"]
    assert set(body["rules"]) == set(RULES) and all(body["rules"].values())
    assert "threatening" in body["rules"]["insult"]


def test_threshold_override_from_config_is_in_force(app_config):
    from service import create_app

    app_config["THRESHOLDS"] = {"insult": {"review": 0.01, "reject": 0.02}}
    client = create_app(app_config).test_client()
    in_force = client.get("/v1/model").get_json()["thresholds"]["insult"]
    assert (in_force["review"], in_force["reject"]) == (0.01, 0.02)
    assert in_force["suspect"] <= 0.01  # a suspect threshold never exceeds the review one
    assert (
        post_json(client, "/v1/moderate", {"text": "مقال رائع"}).get_json()["verdict"] == "reject"
    )


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["model_version"]


def test_openapi_document_covers_every_api_route(app, client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    routes = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/v1/", "/healthz", "/readyz"))
    }
    assert routes <= documented, routes - documented


def test_the_documented_text_pattern_is_the_one_the_service_checks(client):
    from service.validation import VISIBLE_CHARACTER

    spec = json.dumps(client.get("/openapi.json").get_json())
    patterns = re.findall(r'"pattern": ("\[\^[^"]*")', spec)
    # POST /v1/moderate, its batch's items, and POST /v1/comments
    assert [json.loads(p) for p in patterns] == [VISIBLE_CHARACTER] * 3


# Every bad input, on both scoring endpoints where it applies: (url, raw body, content type, status)
BAD_INPUTS = [
    ("/v1/moderate", b"{not json", "application/json", 400),
    ("/v1/moderate", b"\xff\xfe", "application/json", 400),
    ("/v1/moderate", b'{"text": "x"}', "text/plain", 415),
    ("/v1/moderate", b"text=x", "application/x-www-form-urlencoded", 415),
    ("/v1/moderate", b'["x"]', "application/json", 422),
    ("/v1/moderate", b"null", "application/json", 422),
    ("/v1/moderate", b"{}", "application/json", 422),
    ("/v1/moderate", b'{"text": null}', "application/json", 422),
    ("/v1/moderate", b'{"text": 42}', "application/json", 422),
    ("/v1/moderate", b'{"text": ["x"]}', "application/json", 422),
    ("/v1/moderate", b'{"text": ""}', "application/json", 422),
    ("/v1/moderate", b'{"text": "   \\n "}', "application/json", 422),
    ("/v1/moderate/batch", b"{oops", "application/json", 400),
    ("/v1/moderate/batch", b'{"texts": ["x"]}', "text/plain", 415),
    ("/v1/moderate/batch", b"{}", "application/json", 422),
    ("/v1/moderate/batch", b'{"texts": "x"}', "application/json", 422),
    ("/v1/moderate/batch", b'{"texts": []}', "application/json", 422),
    ("/v1/moderate/batch", b'{"texts": ["ok", 5]}', "application/json", 422),
    ("/v1/moderate/batch", b'{"texts": ["ok", ""]}', "application/json", 422),
    # Parsed by Python's json, but not text: half a character, and nesting past the recursion limit.
    ("/v1/moderate", b'{"text": "a\\ud800b"}', "application/json", 400),
    ("/v1/moderate", b'{"text": "a\\u0000b"}', "application/json", 400),
    ("/v1/moderate/batch", b'{"texts": ["ok", "\\udc00"]}', "application/json", 400),
    ("/v1/moderate", b'{"text": "x", "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "application/json", 400),
]


@pytest.mark.parametrize(("url", "body", "content_type", "status"), BAD_INPUTS)
def test_bad_input_gets_a_clear_error(client, url, body, content_type, status):
    assert_error(client.post(url, data=body, content_type=content_type), status)


def test_a_lone_surrogate_is_located_in_the_message(client):
    raw = json.dumps({"texts": ["ok", "\udc00"]})  # ASCII: the surrogate travels as an escape
    response = client.post("/v1/moderate/batch", data=raw, content_type="application/json")
    body = assert_error(response, 400)
    assert "'texts[1]'" in body["description"]


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [("/v1/moderate", {"text": 42}, "text"), ("/v1/moderate", {}, "text"),
     ("/v1/moderate/batch", {"texts": "x"}, "texts")],
)
def test_one_bad_field_is_named_like_many(client, url, payload, field):
    body = assert_error(post_json(client, url, payload), 422)
    assert body["errors"] == [{"field": field, "message": body["description"]}]


def test_model_endpoint_names_sources_without_server_paths(client):
    sources = client.get("/v1/model").get_json()["data_sources"]
    assert sources and all(set(s) == {"name", "sha256", "rows"} for s in sources)
    assert all(s["name"].endswith(".jsonl") and "/" not in s["name"] for s in sources)


def test_batch_errors_name_each_bad_item(client):
    body = assert_error(post_json(client, "/v1/moderate/batch", {"texts": ["ok", 5, ""]}), 422)
    assert [e["field"] for e in body["errors"]] == ["texts[1]", "texts[2]"]


def test_text_over_the_limit_is_413(app_config):
    from service import create_app

    app_config["MAX_TEXT_CHARS"] = 50
    client = create_app(app_config).test_client()
    assert_error(post_json(client, "/v1/moderate", {"text": "ب" * 51}), 413)
    assert post_json(client, "/v1/moderate", {"text": "ب" * 50}).status_code == 200
    assert_error(post_json(client, "/v1/moderate/batch", {"texts": ["ok", "ب" * 51]}), 413)


def test_too_many_texts_is_413(client, app):
    texts = ["تعليق"] * (app.config["MAX_BATCH"] + 1)
    assert_error(post_json(client, "/v1/moderate/batch", {"texts": texts}), 413)


def test_a_batch_over_its_character_budget_is_413(app_config):
    from service import create_app

    app_config["MAX_BATCH_CHARS"] = 100
    client = create_app(app_config).test_client()
    body = assert_error(post_json(client, "/v1/moderate/batch", {"texts": ["ب" * 60] * 2}), 413)
    assert body["errors"] == [{"field": "texts", "message": body["description"]}]
    assert "120 characters; the limit per request is 100" in body["description"]
    assert post_json(client, "/v1/moderate/batch", {"texts": ["ب" * 50] * 2}).status_code == 200


def test_a_batch_that_outlasts_its_time_limit_is_413(app_config, monkeypatch):
    """Before gunicorn's worker timeout would kill the worker mid-batch and answer nothing."""
    from service import create_app

    monkeypatch.setattr("service.scoring.BATCH_CHUNK_CHARS", 100)
    app_config["BATCH_SECONDS"] = 1e-9
    client = create_app(app_config).test_client()
    body = assert_error(post_json(client, "/v1/moderate/batch", {"texts": ["ب" * 60] * 4}), 413)
    assert body["errors"] == [{"field": "texts", "message": body["description"]}]
    assert "took over 1e-09 s to score (2 of 4 texts scored)" in body["description"]
    assert "send fewer or shorter texts" in body["description"]
    # one chunk is always scored: a batch that small never outlasts the limit
    response = post_json(client, "/v1/moderate/batch", {"texts": ["ب" * 60]})
    assert response.status_code == 200 and len(response.get_json()["results"]) == 1


def test_body_over_the_request_limit_is_413(app_config):
    from service import create_app

    app_config["MAX_CONTENT_LENGTH"] = 1000
    client = create_app(app_config).test_client()
    assert_error(post_json(client, "/v1/moderate", {"text": "x" * 2000}), 413)


@pytest.mark.parametrize(("size", "status"), [(100, 200), (2000, 413)])
def test_a_chunked_body_over_the_request_limit_is_413(app_config, size, status):
    from service import create_app

    app_config["MAX_CONTENT_LENGTH"] = 1000
    client = create_app(app_config).test_client()
    # Chunked: no Content-Length, and werkzeug stops reading at the limit without an error.
    body = json.dumps({"text": "x" * size}).encode()
    response = client.post("/v1/moderate", input_stream=io.BytesIO(body),
                           content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == status


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [("get", "/v1/moderate", 405), ("get", "/v1/nowhere", 404), ("delete", "/v1/model", 405)],
)
def test_routing_errors_use_the_envelope(client, method, url, status):
    assert_error(getattr(client, method)(url), status)


@pytest.mark.parametrize(("method", "url", "allowed"), [
    ("put", "/v1/moderate", {"POST"}),
    ("trace", "/v1/moderate/batch", {"POST"}),
    ("delete", "/v1/model", {"GET", "HEAD"}),
])
def test_a_405_names_the_allowed_methods(client, method, url, allowed):
    # RFC 9110 requires Allow on a 405; the JSON envelope used to drop it (found by schemathesis).
    response = client.open(url, method=method.upper())
    assert_error(response, 405)
    assert response.content_type == "application/json"
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_unexpected_errors_are_a_generic_500_without_traceback(app, client, monkeypatch):
    from service.moderation import get_moderator

    with app.app_context():
        moderator = get_moderator()

    def explode(text):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(moderator, "score", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = post_json(client, "/v1/moderate", {"text": "x"})
    body = assert_error(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in body["description"]


@pytest.mark.parametrize(("method", "url"), [("get", "/healthz"), ("get", "/v1/model"),
                                             ("get", "/v1/nowhere"), ("post", "/v1/moderate")])
def test_every_answer_forbids_content_sniffing(client, method, url):
    assert getattr(client, method)(url).headers["X-Content-Type-Options"] == "nosniff"
