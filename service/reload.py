"""Serving a newly promoted model without a restart and without a failed request.

When MODEL_DIR is a registry (a folder with a ``current`` pointer), every process checks the
pointer at most once per MODEL_RELOAD_SECONDS, before a request: one ``stat()``, and a read only
when the file changed. When it names another version, the process loads and checks that version
(``load_artifact``: sha256, scikit-learn version, rules, thresholds, a probe comment) and swaps it
into its Moderator in one assignment: a request in flight finishes with the model it started
with, the next one scores with the new model. The first request a worker serves after a change
waits for that load.

A damaged or incompatible artifact is refused, an error is logged and the old model keeps
serving. The process does not retry that pointer until the file changes again: repair the
version, then ``touch models/current`` (or roll back) to make workers look again.

No Flask here beyond ``init_app``: the reloader is a plain object the tests drive directly."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from service.model import CURRENT_POINTER, METADATA_FILE, ModelBundle, load_artifact, resolve_model_dir
from service.scoring import Moderator

EXTENSION_KEY = "model_reloader"
log = logging.getLogger(__name__)


class ModelReloader:
    """Keeps one process's Moderator on the version the registry's ``current`` pointer names."""

    def __init__(self, moderator: Moderator, model_dir: Path | str, interval: float, *,
                 loader: Callable[[Path], ModelBundle] = load_artifact,
                 clock: Callable[[], float] = time.monotonic):
        self.moderator = moderator
        self.registry = Path(model_dir)
        self.pointer = self.registry / CURRENT_POINTER
        self.interval = float(interval)
        # An artifact folder given directly has no pointer to follow.
        self.watching = self.interval > 0 and not (self.registry / METADATA_FILE).is_file()
        self.refused: dict[str, str] | None = None  # the last version refused, and why
        self._loader, self._clock = loader, clock
        self._checked_at = float("-inf")
        self._seen: tuple | None = None  # the pointer's stat when it was last read
        self._lock = threading.Lock()

    def maybe_reload(self) -> bool:
        """Check the pointer if the interval has passed; return True when the model changed."""
        now = self._clock()
        if not self.watching or now - self._checked_at < self.interval:
            return False
        if not self._lock.acquire(blocking=False):  # another thread is checking or loading
            return False
        try:
            self._checked_at = now
            return self._check()
        finally:
            self._lock.release()

    def _check(self) -> bool:
        try:
            stat = os.stat(self.pointer)
        except OSError as error:
            if self._seen != ("missing",):
                log.error("cannot read %s (%s); still serving model %s", self.pointer, error,
                          self.moderator.bundle.version)
                self._seen = ("missing",)
            return False
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if signature == self._seen:
            return False
        self._seen = signature
        serving, named = self.moderator.bundle.version, "?"
        try:
            named = self.pointer.read_text(encoding="utf-8").strip()
            if named == serving:
                self.refused = None
                return False
            directory = resolve_model_dir(self.registry)
            bundle = self._loader(directory)
            if bundle.version != directory.name:
                raise ValueError(f"{directory} holds model {bundle.version}, not {directory.name}")
            self.moderator.swap_model(bundle)
        # Whatever is wrong with a new model, it must not fail the request that found it.
        except Exception as error:  # noqa: BLE001
            self.refused = {"version": named, "error": str(error)}
            log.error("refusing model %r named by %s: %s; still serving model %s", named,
                      self.pointer, error, serving)
            return False
        self.refused = None
        log.warning("now serving model %s (was %s)", bundle.version, serving)
        return True


def init_app(app) -> None:
    """Follow the registry's ``current`` pointer before requests (MODEL_RELOAD_SECONDS; 0 = off)."""
    from service.moderation import EXTENSION_KEY as MODERATOR_KEY

    reloader = ModelReloader(app.extensions[MODERATOR_KEY], app.config["MODEL_DIR"],
                             float(app.config["MODEL_RELOAD_SECONDS"]))
    app.extensions[EXTENSION_KEY] = reloader
    if reloader.watching:
        app.before_request(lambda: reloader.maybe_reload() and None)  # None: go on to the view
