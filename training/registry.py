"""The model registry: the versions in ``models/``, which one serves, and how that changes.

    python -m training.registry list      [--models DIR]
    python -m training.registry promote   VERSION [--data PATH ...] [--tolerance 0.02]
                                          [--metric f1|macro_f1] [--gate PATH ...]
                                          [--force --reason TEXT]
    python -m training.registry rollback  [--reason TEXT]
    python -m training.registry report    VERSION [--data PATH ...]
    python -m training.registry history

``promote`` makes a candidate current only if, on the fixed evaluation set (the corpus's test
split plus the dev/test rows of every ``--data`` path), no rule's F1 falls more than the tolerance
below the current model's, and the behavioural tests (``pytest tests/model --model-dir
<candidate>``) pass. Tests marked as known failures of the shipped model (xfail) are reported,
not required: a gate that demanded them would refuse every candidate, the shipped one included.
``--force --reason`` promotes anyway and records the reason and what failed.
``rollback`` returns to the version that was current before the latest promotion still in force.

Every promotion and rollback is appended to ``models/history.jsonl`` (who, when, from, to, reason,
metrics). The ``current`` pointer is replaced atomically (temporary file, fsync, os.replace), so a
serving process reads either the old or the new name, never half of one; running workers pick the
change up by themselves (service/reload.py). One registry lock serializes promotions and
rollbacks."""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import getpass
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from service.config import PROJECT_ROOT
from service.keywords import DEFAULT_KEYWORD_DIR
from service.model import (
    CURRENT_POINTER,
    METADATA_FILE,
    ArtifactError,
    check_named_after_its_model,
    load_artifact,
    read_metadata,
)
from service.rules import RULES
from training.cli import USER_ERRORS, command_parser, print_error
from training.comparison import (
    DEFAULT_TOLERANCE,
    METRICS,
    RuleComparison,
    compare,
    evaluation_set,
    rule_metrics,
    score,
    summary,
)
from training.evaluate import Evaluated
from training.report import EVALUATION_FILE, REPORT_FILE, write_report

HISTORY_FILE = "history.jsonl"
LOCK_FILE = ".registry.lock"
DEFAULT_MODELS = PROJECT_ROOT / "models"
DEFAULT_GATE = PROJECT_ROOT / "tests" / "model"
GATE_TIMEOUT_SECONDS = 900
# Without pytest the gate's process dies with "No module named pytest", which its summary
# would only render as "pytest exited 1".
PYTEST_MISSING = (
    f"pytest is not installed: {sys.executable} -m pip install pytest "
    "(the train extra carries it: pip install -e '.[train]')"
)


class RegistryError(RuntimeError):
    """A registry command cannot be carried out; the message says why and what to do."""


# --- Pointer, history and lock -----------------------------------------------------------------


def read_current(models: Path) -> str | None:
    """Return the version the ``current`` pointer names, or None when there is no pointer."""
    try:
        return (models / CURRENT_POINTER).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def set_current(models: Path, version: str) -> None:
    """Point ``current`` at ``version`` atomically and durably."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=models, prefix=".current.", delete=False
    ) as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    Path(handle.name).chmod(0o644)
    os.replace(handle.name, models / CURRENT_POINTER)
    _fsync_dir(models)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_history(models: Path) -> list[dict]:
    """Return every recorded promotion and rollback, oldest first."""
    try:
        lines = (models / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append(json.loads(line))
        except ValueError as error:
            # A machine that lost power mid-append leaves a cut line: say where, and change nothing.
            raise RegistryError(f"{models / HISTORY_FILE}:{number} is not a JSON line ({error}); "
                                "repair or delete that line, then run the command again") from error
    return entries


def append_history(models: Path, entry: dict) -> None:
    """Append one entry to the history file and flush it to disk."""
    with (models / HISTORY_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def version_stack(history: Sequence[dict]) -> list[str]:
    """Replay the history: promotions push a version, rollbacks pop one. The last element is the
    version the registry last made current; the one before it is where a rollback goes."""
    stack: list[str] = []
    for entry in history:
        if entry["action"] == "promote":
            if not stack and entry.get("from"):
                stack.append(entry["from"])
            stack.append(entry["to"])
        elif entry["action"] == "rollback":
            if stack and stack[-1] == entry["from"]:
                stack.pop()
            if not stack or stack[-1] != entry["to"]:
                stack.append(entry["to"])
    return stack


def require_registry(models: Path) -> None:
    """Refuse a registry path that is not a folder.

    Checked before the lock, which would otherwise create a mistyped --models folder and a lock
    file in it.

    :raise RegistryError: naming the path.
    """
    if not models.is_dir():
        raise RegistryError(f"no model registry at {models} (--models names the folder of "
                            "model versions; default: models/)")


@contextmanager
def registry_lock(models: Path) -> Iterator[None]:
    """Hold the registry's lock: one promotion or rollback at a time."""
    models.mkdir(parents=True, exist_ok=True)
    with (models / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_user() -> str:
    """Return who runs the command: $USER, else the login name."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def version_dir(models: Path, version: str) -> Path:
    """Return the folder of ``version`` in the registry.

    :raise RegistryError: when the name is not a version folder of this registry.
    """
    if (
        not version
        or "/" in version
        or version.startswith(".")
        or not (models / version / METADATA_FILE).is_file()
    ):
        raise RegistryError(
            f"{version!r} is not a model version in {models} "
            "(see `python -m training.registry list`)"
        )
    return models / version


# --- list ----------------------------------------------------------------------------------------


@dataclass
class VersionInfo:
    """One version folder, described from its metadata and evaluation files (nothing loaded)."""

    version: str
    created_at: str | None = None
    train_rows: int | None = None
    evaluation: dict | None = None
    validation: dict | None = None
    has_report: bool = False
    problem: str | None = None


def list_versions(models: Path) -> list[VersionInfo]:
    """Describe every version folder, oldest first."""
    infos = []
    for path in sorted(p for p in models.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not (path / METADATA_FILE).is_file():
            continue
        info = VersionInfo(path.name, has_report=(path / REPORT_FILE).is_file())
        try:
            metadata = read_metadata(path)
        except ArtifactError as error:
            info.problem = str(error)
            infos.append(info)
            continue
        info.created_at = metadata.get("created_at")
        info.train_rows = (metadata.get("rows") or {}).get("train")
        info.validation = (metadata.get("metrics") or {}).get("validation")
        try:
            info.evaluation = json.loads((path / EVALUATION_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info.evaluation = None
        infos.append(info)
    return infos


def format_versions(infos: list[VersionInfo], current: str | None, metric: str = "f1") -> str:
    """Render ``list``: one line per version, the current one starred."""
    head = (
        f"  {'version':28s} {'created (UTC)':20s} {'train rows':>10s} {'eval n':>7s} "
        + " ".join(f"{rule:>10s}" for rule in RULES)
        + "  report"
    )
    lines = [
        f"{metric} per rule on the evaluation set written with each version "
        "(v: validation split, when there is none)",
        head,
    ]
    for info in infos:
        mark = "*" if info.version == current else " "
        if info.problem:
            lines.append(f"{mark} {info.version:28s} unreadable: {info.problem}")
            continue
        figures, n = [], ""
        if info.evaluation:
            n = str(info.evaluation.get("n", ""))
            for rule in RULES:
                value = (info.evaluation.get("rules") or {}).get(rule, {}).get(metric)
                figures.append("–" if value is None else f"{value:.3f}")
        else:
            for rule in RULES:
                value = (info.validation or {}).get(rule, {}).get(metric)
                figures.append("–" if value is None else f"{value:.3f}v")
        created = (info.created_at or "")[:19].replace("T", " ")
        rows = "" if info.train_rows is None else str(info.train_rows)
        lines.append(
            f"{mark} {info.version:28s} {created:20s} {rows:>10s} {n:>7s} "
            + " ".join(f"{f:>10s}" for f in figures)
            + ("  report.html" if info.has_report else "  –")
        )
    if current is None:
        lines.append("no current model: the registry has no 'current' pointer")
    elif current not in {i.version for i in infos}:
        lines.append(f"current pointer names {current!r}, which is not a version here")
    return "\n".join(lines)


# --- promote -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """The behavioural test run on a candidate."""

    passed: bool
    command: list[str]
    returncode: int | None
    summary: str
    output: str = ""

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "command": self.command,
            "returncode": self.returncode,
            "summary": self.summary,
        }


def pytest_installed() -> bool:
    """Whether the gate's ``python -m pytest`` can start: it runs with this interpreter."""
    return importlib.util.find_spec("pytest") is not None


def run_gate(
    candidate: Path,
    gate_paths: Sequence[Path] = (DEFAULT_GATE,),
    timeout: float = GATE_TIMEOUT_SECONDS,
) -> GateResult:
    """Run the behavioural tests against ``candidate`` in a separate pytest process."""
    paths = [Path(p).resolve() for p in gate_paths]
    command = [
        sys.executable,
        "-m",
        "pytest",
        *map(str, paths),
        "--model-dir",
        str(candidate.resolve()),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    if not pytest_installed():
        return GateResult(False, command, None, PYTEST_MISSING)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        return GateResult(False, command, None, f"no behavioural tests at {', '.join(missing)}")
    try:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return GateResult(
            False, command, None, f"behavioural tests did not finish in {timeout:.0f} s"
        )
    output = result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return GateResult(
        result.returncode == 0,
        command,
        result.returncode,
        lines[-1].strip("= ") if lines else f"pytest exited {result.returncode}",
        output,
    )


@dataclass
class Promotion:
    """What ``promote`` found and did."""

    version: str
    previous: str | None
    comparisons: list[RuleComparison]
    gate: GateResult
    evaluation_n: int
    promoted: bool = False
    forced: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        failures = [
            f"{c.rule}: {c.metric} {c.candidate:.3f} is {-c.delta:.3f} below the current "
            f"model's {c.current:.3f} (tolerance {c.tolerance:.3f})"
            for c in self.comparisons
            if not c.passed
        ]
        if not self.gate.passed:
            failures.append(f"behavioural tests failed: {self.gate.summary}")
        return failures


def promote(
    models: Path,
    version: str,
    *,
    data_paths: Sequence[Path] = (),
    corpus_dir: Path | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    metric: str = "f1",
    gate_paths: Sequence[Path] = (DEFAULT_GATE,),
    force: bool = False,
    reason: str | None = None,
    keyword_dir: Path = DEFAULT_KEYWORD_DIR,
    progress: bool = False,
) -> Promotion:
    """Evaluate ``version`` against the current model, run the behavioural tests, and make it
    current if both allow it (or ``force`` with a ``reason``); record the promotion.

    :raise RegistryError: when the version is unknown, damaged or already current, or when
        ``force`` comes without a reason.
    """
    if metric not in METRICS:
        raise RegistryError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    if force and not (reason and reason.strip()):
        raise RegistryError("--force needs --reason: say why the checks are overruled")
    if not force and not pytest_installed():
        # Said before scoring both models: without the tests that work could not count.
        raise RegistryError(PYTEST_MISSING)
    require_registry(models)
    with registry_lock(models):
        candidate_dir = version_dir(models, version)
        try:
            check_named_after_its_model(candidate_dir, load_artifact(candidate_dir).version)
        except ArtifactError as error:
            raise RegistryError(f"{version} cannot serve, forced or not: {error}") from error
        previous = read_current(models)
        if previous == version:
            raise RegistryError(f"{version} is already the current model")
        examples = evaluation_set(data_paths, corpus_dir)
        candidate_metrics = rule_metrics(
            score(Evaluated(candidate_dir, keyword_dir), examples, progress)
        )
        current_metrics, notes = None, []
        if previous is not None:
            try:
                current_metrics = rule_metrics(
                    score(Evaluated(version_dir(models, previous), keyword_dir), examples, progress)
                )
            except (ArtifactError, RegistryError) as error:
                notes.append(
                    f"the current model {previous} cannot be evaluated ({error}); "
                    "nothing to compare with"
                )
        comparisons = compare(candidate_metrics, current_metrics, tolerance, metric)
        gate = run_gate(candidate_dir, gate_paths)
        promotion = Promotion(version, previous, comparisons, gate, len(examples), notes=notes)
        if promotion.failures and not force:
            return promotion
        set_current(models, version)
        promotion.promoted, promotion.forced = True, force
        append_history(
            models,
            {
                "at": _now(),
                "user": current_user(),
                "action": "promote",
                "from": previous,
                "to": version,
                "reason": reason,
                "forced": force,
                "overruled": promotion.failures,
                "tolerance": tolerance,
                "metric": metric,
                "evaluation": {"n": len(examples), "data": [str(p) for p in data_paths]},
                "metrics": {
                    "candidate": summary(candidate_metrics),
                    "current": None if current_metrics is None else summary(current_metrics),
                },
                "gate": gate.to_dict(),
                "notes": notes,
            },
        )
        return promotion


def format_promotion(promotion: Promotion) -> str:
    """Render the comparison table, the gate result and the outcome."""
    metric = promotion.comparisons[0].metric if promotion.comparisons else "f1"
    lines = [
        f"candidate {promotion.version} vs current {promotion.previous or '(none)'} "
        f"on {promotion.evaluation_n} evaluation comments",
        f"  {'rule':11s} {'n':>6s} {'pos':>5s} {'current ' + metric:>14s} "
        f"{'candidate ' + metric:>16s} {'delta':>7s}  ok",
    ]
    for c in promotion.comparisons:

        def fmt(value, sign=""):
            return "–" if value is None else format(value, sign + ".3f")

        lines.append(
            f"  {c.rule:11s} {c.n:6d} {c.positives:5d} {fmt(c.current):>14s} "
            f"{fmt(c.candidate):>16s} {fmt(c.delta, '+'):>7s}  {'yes' if c.passed else 'NO'}"
        )
    lines.append(
        f"behavioural tests: {'passed' if promotion.gate.passed else 'FAILED'} "
        f"({promotion.gate.summary})"
    )
    lines.extend(f"note: {note}" for note in promotion.notes)
    if promotion.promoted:
        lines.append(
            f"promoted: {promotion.version} is now current"
            + (
                " (FORCED over: " + "; ".join(promotion.failures) + ")"
                if promotion.failures
                else ""
            )
        )
    else:
        lines.append(f"NOT promoted: {'; '.join(promotion.failures)}")
        lines.append('to promote anyway: add --force --reason "..." (the reason is recorded)')
    return "\n".join(lines)


# --- rollback ------------------------------------------------------------------------------------


def rollback(models: Path, reason: str | None = None) -> dict:
    """Make the version before the latest promotion current again; return the history entry.

    :raise RegistryError: when the history holds nowhere to go back to, or that version is damaged.
    """
    require_registry(models)
    if not (models / HISTORY_FILE).is_file() and not (models / CURRENT_POINTER).is_file():
        # Some other folder (a typo for the registry): the lock would leave a file in it.
        raise RegistryError(f"no model registry at {models}: no '{CURRENT_POINTER}' pointer "
                            f"and no {HISTORY_FILE}")
    with registry_lock(models):
        current = read_current(models)
        stack = version_stack(read_history(models))
        if stack and current != stack[-1]:
            target = stack[-1]  # the pointer was changed by hand: back to what the registry set
        elif len(stack) >= 2:
            target = stack[-2]
        else:
            raise RegistryError("nothing to roll back to: the history records no earlier version")
        try:
            load_artifact(version_dir(models, target))
        except ArtifactError as error:
            raise RegistryError(f"cannot roll back to {target}: {error}") from error
        set_current(models, target)
        entry = {
            "at": _now(),
            "user": current_user(),
            "action": "rollback",
            "from": current,
            "to": target,
            "reason": reason or "rollback",
            "forced": False,
            "metrics": _recorded_metrics(models / target),
        }
        append_history(models, entry)
        return entry


def _recorded_metrics(directory: Path) -> dict | None:
    try:
        return json.loads((directory / EVALUATION_FILE).read_text(encoding="utf-8")).get("rules")
    except (OSError, ValueError):
        return None


# --- command line --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = command_parser("training.registry", __doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--models", type=Path, default=DEFAULT_MODELS, help="the registry folder (default: models/)"
    )
    evaluation = argparse.ArgumentParser(add_help=False)
    evaluation.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        help="also evaluate on the dev/test rows of this unified JSONL file or folder (repeatable)",
    )
    evaluation.add_argument(
        "--corpus-dir",
        type=Path,
        default=None,
        help="the project's corpus (default: training/corpus)",
    )
    evaluation.add_argument("--keywords", type=Path, default=DEFAULT_KEYWORD_DIR)
    evaluation.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help="how far below the current model a rule's metric may fall (default: %(default)s)",
    )
    evaluation.add_argument(
        "--metric",
        choices=METRICS,
        default="f1",
        help="per-rule metric compared (default: f1 of the rule's class)",
    )
    evaluation.add_argument("--no-progress", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", parents=[common], help="versions, key metrics, current")
    listing.add_argument("--metric", choices=METRICS, default="f1")
    promoting = commands.add_parser(
        "promote", parents=[common, evaluation], help="make a candidate current if it is as good"
    )
    promoting.add_argument("version")
    promoting.add_argument(
        "--gate",
        type=Path,
        action="append",
        default=None,
        help="behavioural tests to run (default: tests/model)",
    )
    promoting.add_argument("--force", action="store_true", help="promote even if checks fail")
    promoting.add_argument("--reason", help="why (required with --force; recorded)")
    rolling = commands.add_parser("rollback", parents=[common], help="back to the previous version")
    rolling.add_argument("--reason")
    reporting = commands.add_parser(
        "report", parents=[common, evaluation], help="(re)write a version's report.html"
    )
    reporting.add_argument("version")
    commands.add_parser("history", parents=[common], help="every promotion and rollback")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one registry command; exit 1 when a promotion is refused, 2 on an error."""
    args = parse_args(argv)
    models = args.models
    try:
        require_registry(models)
        if args.command == "list":
            print(format_versions(list_versions(models), read_current(models), args.metric))
        elif args.command == "promote":
            promotion = promote(
                models,
                args.version,
                data_paths=args.data,
                corpus_dir=args.corpus_dir,
                tolerance=args.tolerance,
                metric=args.metric,
                gate_paths=args.gate or [DEFAULT_GATE],
                force=args.force,
                reason=args.reason,
                keyword_dir=args.keywords,
                progress=not args.no_progress,
            )
            print(format_promotion(promotion))
            if promotion.gate.output and not promotion.gate.passed:
                print(promotion.gate.output[-3000:], file=sys.stderr)
            return 0 if promotion.promoted else 1
        elif args.command == "rollback":
            entry = rollback(models, args.reason)
            print(f"rolled back: {entry['from']} -> {entry['to']} is now current")
        elif args.command == "report":
            directory = version_dir(models, args.version)
            current = read_current(models)
            path = write_report(
                directory,
                evaluation_set(args.data, args.corpus_dir),
                models / current if current else None,
                args.keywords,
                args.tolerance,
                args.metric,
                progress=not args.no_progress,
            )
            print(f"report written to {path}")
        elif args.command == "history":
            for entry in read_history(models):
                extra = (
                    f" FORCED: {entry.get('reason')}"
                    if entry.get("forced")
                    else (f" ({entry['reason']})" if entry.get("reason") else "")
                )
                print(
                    f"{entry['at']} {entry['user']:12s} {entry['action']:8s} "
                    f"{entry.get('from') or '(none)'} -> {entry['to']}{extra}"
                )
    except (RegistryError, *USER_ERRORS) as error:
        return print_error(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
