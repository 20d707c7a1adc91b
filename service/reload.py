"""Serving a newly promoted model without a restart and without a failed request.

When MODEL_DIR is a registry (a folder with a ``current`` pointer), every process checks the
pointer at most once per MODEL_RELOAD_SECONDS, before a request: one ``stat()``, and a read only
when the file changed. When it names another version, a background thread loads and checks that
version (``load_artifact``: sha256, scikit-learn version, rules, thresholds, a probe comment)
while requests go on with the old model; the next request after the load swaps the new model into
the Moderator in one assignment. A request in flight finishes with the model it started with, and
no request waits for a load (about 2 s for a model trained on every public dataset, several
seconds more while the worker is busy: benchmarks/reload.py).

A damaged or incompatible artifact is refused, an error is logged and the old model keeps
serving. The process does not retry that pointer until the file changes again: repair the
version, then ``touch models/current`` (or roll back) to make workers look again.

Swaps happen in request threads, never in the loader thread, so with gunicorn's sync workers
(one request thread) nothing else changes the Moderator at the same moment.

No Flask here beyond ``init_app``: the reloader is a plain object the tests drive directly."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.model import (
    CURRENT_POINTER,
    METADATA_FILE,
    ModelBundle,
    check_named_after_its_model,
    load_artifact,
    resolve_model_dir,
)
from service.scoring import Moderator

EXTENSION_KEY = "model_reloader"
log = logging.getLogger(__name__)


class ModelReloader:
    """Keeps one process's Moderator on the version the registry's ``current`` pointer names."""

    def __init__(
        self,
        moderator: Moderator,
        model_dir: Path | str,
        interval: float,
        *,
        background: bool = True,
        loader: Callable[[Path], ModelBundle] = load_artifact,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.moderator = moderator
        self.registry = Path(model_dir)
        self.pointer = self.registry / CURRENT_POINTER
        self.interval = float(interval)
        # An artifact folder given directly has no pointer to follow.
        self.watching = self.interval > 0 and not (self.registry / METADATA_FILE).is_file()
        self.background = background
        self.refused: dict[str, str] | None = None  # the last version refused, and why
        self._loader, self._clock = loader, clock
        self._checked_at = float("-inf")
        self._seen: tuple | None = None  # the pointer's stat when it was last acted on
        self._check_lock = threading.Lock()
        self._ready_lock = threading.Lock()
        self._ready: ModelBundle | None = None  # loaded and checked, not yet swapped in
        self._loading: threading.Thread | None = None

    def maybe_reload(self) -> bool:
        """Swap in a model loaded since the last call, and look at the pointer if the interval
        has passed; return True when this call changed the model in service."""
        swapped = self._swap_ready()
        now = self._clock()
        if not self.watching or now - self._checked_at < self.interval:
            return swapped
        if not self._check_lock.acquire(blocking=False):  # another thread is checking
            return swapped
        try:
            self._checked_at = now
            job = self._check()
            if job is not None and self.background:
                self._loading = threading.Thread(
                    target=self._load, args=job, daemon=True, name="model-reload"
                )
                self._loading.start()
        finally:
            self._check_lock.release()
        if job is not None and not self.background:
            self._load(*job)
            return self._swap_ready() or swapped
        return swapped

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a background load in progress (for tests and orderly shutdowns)."""
        loading = self._loading
        if loading is not None:
            loading.join(timeout)

    def _check(self) -> tuple[str, Path] | None:
        """Return (version, folder) to load when the pointer names a new version, else None."""
        if self._loading is not None and self._loading.is_alive():
            return None  # look again once the current load is over
        try:
            stat = os.stat(self.pointer)
        except OSError as error:
            if self._seen != ("missing",):
                log.error(
                    "cannot read %s (%s); still serving model %s",
                    self.pointer,
                    error,
                    self.moderator.bundle.version,
                )
                self._seen = ("missing",)
            return None
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if signature == self._seen:
            return None
        self._seen = signature
        named = "?"
        try:
            named = self.pointer.read_text(encoding="utf-8").strip()
            if named == self.moderator.bundle.version:
                self.refused = None
                return None
            return named, resolve_model_dir(self.registry)
        except Exception as error:  # noqa: BLE001 - see _refuse
            self._refuse(named, error)
            return None

    def _load(self, named: str, directory: Path) -> None:
        try:
            bundle = self._loader(directory)
            check_named_after_its_model(directory, bundle.version)
        except Exception as error:  # noqa: BLE001 - see _refuse
            self._refuse(named, error)
            return
        with self._ready_lock:
            self._ready = bundle

    def _swap_ready(self) -> bool:
        with self._ready_lock:
            bundle, self._ready = self._ready, None
        if bundle is None:
            return False
        try:
            named = self.pointer.read_text(encoding="utf-8").strip()
        except OSError:
            named = None
        if named != bundle.version:  # the pointer moved on while it loaded: look again
            self._seen = None
            return False
        serving = self.moderator.bundle.version
        try:
            self.moderator.swap_model(bundle)
        except Exception as error:  # noqa: BLE001 - see _refuse
            self._refuse(bundle.version, error)
            return False
        self.refused = None
        log.warning("now serving model %s (was %s)", bundle.version, serving)
        return True

    def _refuse(self, named: str, error: Exception) -> None:
        # Whatever is wrong with a new model, the old one serves on: no request may fail for it.
        self.refused = {"version": named, "error": str(error)}
        log.error(
            "refusing model %r named by %s: %s; still serving model %s",
            named,
            self.pointer,
            error,
            self.moderator.bundle.version,
        )


def init_app(app) -> None:
    """Follow the registry's ``current`` pointer before requests (MODEL_RELOAD_SECONDS; 0 = off)."""
    from service.moderation import EXTENSION_KEY as MODERATOR_KEY

    reloader = ModelReloader(
        app.extensions[MODERATOR_KEY],
        app.config["MODEL_DIR"],
        float(app.config["MODEL_RELOAD_SECONDS"]),
    )
    app.extensions[EXTENSION_KEY] = reloader
    if reloader.watching:

        @app.before_request
        def reload_model() -> None:  # returns None: Flask goes on to the view
            reloader.maybe_reload()
