"""The service as deployed: gunicorn calling the factory, a comment scored over real HTTP."""

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
