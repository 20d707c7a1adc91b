"""The service as deployed: gunicorn calling the factory, a comment scored over real HTTP."""

import json
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest

from tests.servers import Gunicorn, http


@pytest.fixture
def gunicorn_server(model_dir, tmp_path):
    """gunicorn with two workers on a free loopback port, serving the tiny model."""
    server = Gunicorn(
        env={"MODERATION_MODEL_DIR": str(model_dir),
             "MODERATION_DATABASE_URL": f"sqlite:///{tmp_path / 'moderation.db'}"},
        log_path=tmp_path / "gunicorn.log",
    ).start()
    yield server.base
    server.stop()


@pytest.mark.slow
def test_gunicorn_scores_a_comment_over_http(gunicorn_server):
    status, body = http("POST", gunicorn_server + "/v1/moderate", {"text": "نعل دين مك"})
    assert status == 200
    assert body["verdict"] == "reject" and "religion" in body["flags"]
    status, body = http("POST", gunicorn_server + "/v1/moderate", {"text": ""})
    assert status == 422 and body["code"] == 422
    status, model = http("GET", gunicorn_server + "/v1/model")
    status, body = http("POST", gunicorn_server + "/v1/moderate", {"text": "مقال مزيان"})
    assert status == 200 and body["model_version"] == model["model_version"]


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_413_under_gunicorn(gunicorn_server):
    # Without a Content-Length, werkzeug cuts the body at the limit without an error; the
    # service must still say "too large", not "not valid JSON".
    host, port = urlsplit(gunicorn_server).hostname, urlsplit(gunicorn_server).port
    for size, expected in ((1000, 200), (9 * 1024 * 1024, 413)):
        body = json.dumps({"text": "ب" * 10, "pad": "x" * size}).encode()
        connection = HTTPConnection(host, port, timeout=30)
        connection.request("POST", "/v1/moderate", body=iter([body[:500], body[500:]]),
                           headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == expected, answer
    assert "larger than the limit of 8388608 bytes" in answer["description"]
