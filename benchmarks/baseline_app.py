"""A minimal Flask app serving the naive baseline, so both are measured over HTTP the same way.

    gunicorn 'benchmarks.baseline_app:create_app()'   (BASELINE_DIR names the baseline folder)
"""

import os
from pathlib import Path

import joblib
from flask import Flask, jsonify, request

from service.rules import RULES
from training.baseline import BASELINE_FILE


def create_app() -> Flask:
    """Serve POST /v1/moderate with the baseline's three pipelines and a 0.5 threshold."""
    app = Flask(__name__)
    baseline = joblib.load(Path(os.environ["BASELINE_DIR"]) / BASELINE_FILE)

    @app.post("/v1/moderate")
    def moderate():
        scores = baseline.predict_proba_one(request.get_json()["text"])
        flags = [rule for rule, score in zip(RULES, scores, strict=True) if score >= 0.5]
        return jsonify({"verdict": "reject" if flags else "approve", "flags": flags,
                        "scores": dict(zip(RULES, map(float, scores), strict=True))})

    return app
