"""Loading and checking model artifacts.

An artifact is a folder holding ``model.joblib`` (a CommentClassifier) and ``metadata.json``
(version, library versions, data sources, metrics, thresholds, and the artifact's sha256). A
registry is a folder of artifacts plus a ``current`` file naming the one that serves."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from service.classifier import CommentClassifier
from service.rules import RULES

ARTIFACT_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
CURRENT_POINTER = "current"
REQUIRED_METADATA = ("model_version", "created_at", "sklearn_version", "python_version",
                     "rules", "thresholds", "artifact_sha256")
# A probe the loader scores to prove the artifact computes finite numbers before serving.
_PROBE_TEXT = "تعليق تجريبي للتحقق من النموذج test"


class ArtifactError(RuntimeError):
    """The model artifact is missing, damaged or incompatible; the message says which."""


@dataclass(frozen=True)
class ModelBundle:
    """A loaded, checked artifact."""

    classifier: CommentClassifier
    metadata: dict[str, Any]
    directory: Path

    @property
    def version(self) -> str:
        return self.metadata["model_version"]

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        return self.metadata["thresholds"]


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_model_dir(path: Path | str) -> Path:
    """Return the artifact folder for ``path``: itself, or the version its ``current`` names.

    :raise ArtifactError: when neither an artifact nor a registry pointer is there.
    """
    path = Path(path)
    if (path / METADATA_FILE).is_file():
        return path
    pointer = path / CURRENT_POINTER
    if pointer.is_file():
        version = pointer.read_text(encoding="utf-8").strip()
        target = path / version
        if not version or "/" in version or not (target / METADATA_FILE).is_file():
            raise ArtifactError(f"{pointer} names {version!r}, which is not a model in {path}")
        return target
    raise ArtifactError(
        f"no model at {path}: expected {METADATA_FILE} there or a '{CURRENT_POINTER}' pointer. "
        "Build one with `make model` or set MODERATION_MODEL_DIR."
    )


def read_metadata(directory: Path) -> dict[str, Any]:
    """Read and check an artifact's metadata file.

    :raise ArtifactError: when it is unreadable, lacks a required key or holds thresholds the
        policy or the training tools could not use.
    """
    try:
        metadata = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read {directory / METADATA_FILE}: {error}") from error
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ArtifactError(f"{directory / METADATA_FILE} lacks {', '.join(missing)}")
    check_thresholds(metadata, directory)
    return metadata


def check_named_after_its_model(directory: Path, version: str) -> None:
    """Refuse a registry version folder that holds another version (a copy, a rename).

    Starting workers, reloading workers and ``registry promote`` all make this check, so none
    of them serves or points at a folder the others would refuse.

    :raise ArtifactError: naming both versions.
    """
    if version != directory.name:
        raise ArtifactError(f"{directory} holds model {version}, not {directory.name}: "
                            "a copied or renamed version folder")


def load_artifact(path: Path | str) -> ModelBundle:
    """Load the artifact at ``path`` (or the registry's current one) and prove it usable.

    :raise ArtifactError: on a missing or damaged file, a scikit-learn version other than the one
        that wrote it, rules that are not the site's, or a model that scores nonsense.
    """
    directory = resolve_model_dir(path)
    metadata = read_metadata(directory)
    if directory != Path(path):  # reached through the registry's `current` pointer
        check_named_after_its_model(directory, metadata["model_version"])
    if metadata["sklearn_version"] != sklearn.__version__:
        raise ArtifactError(
            f"model {metadata['model_version']} was written by scikit-learn "
            f"{metadata['sklearn_version']} but {sklearn.__version__} is installed; "
            "retrain it with this version (python -m training.train) or install the one it needs"
        )
    if tuple(metadata["rules"]) != RULES:
        raise ArtifactError(f"model rules {metadata['rules']} are not {list(RULES)}")
    artifact = directory / ARTIFACT_FILE
    if not artifact.is_file():
        raise ArtifactError(f"{artifact} is missing")
    if sha256_of(artifact) != metadata["artifact_sha256"]:
        raise ArtifactError(f"{artifact} does not match the sha256 in its metadata: damaged file")
    try:
        classifier = joblib.load(artifact)
    except Exception as error:  # noqa: BLE001 - any unpickling failure means a damaged artifact
        raise ArtifactError(f"cannot load {artifact}: {error}") from error
    if not isinstance(classifier, CommentClassifier) or tuple(classifier.rules) != RULES:
        raise ArtifactError(f"{artifact} does not hold a CommentClassifier for {list(RULES)}")
    probe = classifier.predict_proba_one(_PROBE_TEXT)
    if probe.shape != (len(RULES),) or not np.all(np.isfinite(probe)):
        raise ArtifactError(f"{artifact} produced invalid scores on a probe comment")
    return ModelBundle(classifier=classifier, metadata=metadata, directory=directory)


SERVED_LEVELS = ("review", "reject", "decision", "suspect")


def check_thresholds(metadata: dict[str, Any], directory: Path,
                     levels: tuple[str, ...] = SERVED_LEVELS) -> None:
    """Refuse thresholds the policy or the training tools would misread or crash on.

    ``levels`` are those the artifact must give each rule (a baseline stores ``decision``
    only); ``suspect`` may be absent, and the policy reads it as 0.

    :raise ArtifactError: naming the file, the rule and the level.
    """
    where = directory / METADATA_FILE
    thresholds = metadata["thresholds"]
    if not isinstance(thresholds, dict):
        raise ArtifactError(f"{where}: thresholds must be an object of rules")
    for rule in RULES:
        given = thresholds.get(rule)
        if not isinstance(given, dict):
            raise ArtifactError(f"{where}: thresholds.{rule} must be an object of levels")
        for level in levels:
            value = given.get(level, 0.0 if level == "suspect" else None)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not 0.0 <= value <= 1.0):
                raise ArtifactError(f"{where}: bad {rule}.{level} threshold")
        if "review" in levels and given["review"] > given["reject"]:
            raise ArtifactError(f"{where}: {rule}.review is above {rule}.reject")


def runtime_versions() -> dict[str, str]:
    """Return the library versions an artifact records and the loader checks."""
    return {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
    }
