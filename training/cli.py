"""How the training commands end on a mistake in what they were given: ``error: <why>`` on
stderr and exit status 2, as argparse does for a bad option. A traceback is kept for bugs."""

from __future__ import annotations

import argparse
import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from service.keywords import KeywordListError
from service.model import ArtifactError
from training.data import SPLITS, DataError

# A missing or malformed input, or a folder with no usable model: the person running the
# command can fix it from the message alone, so a traceback would only hide the message.
USER_ERRORS: tuple[type[Exception], ...] = (
    DataError, ArtifactError, KeywordListError, FileNotFoundError, FileExistsError)
USAGE_STATUS = 2


def command_parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """Return the parser of ``python -m <module>``, with ``doc`` shown as written: the docstrings
    hold example commands whose line breaks matter."""
    return argparse.ArgumentParser(
        prog=f"python -m {module}", description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def split_names(value: str) -> set[str]:
    """Parse --splits: split names, comma-separated."""
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(SPLITS))
    if unknown or not names:
        # A mistyped name would select no row and print an empty table.
        raise argparse.ArgumentTypeError(
            f"{value!r}: expected some of {', '.join(SPLITS)}, comma-separated")
    return names


def describe(error: Exception) -> str:
    """Return the one-line message for ``error``."""
    if isinstance(error, OSError) and error.filename is not None:
        # str() would lead with "[Errno 2]"; the file name is what the reader needs.
        return f"{error.filename}: {error.strerror}"
    return str(error)


def print_error(error: Exception) -> int:
    """Print ``error: <message>`` to stderr; return the exit status for a user error."""
    print(f"error: {describe(error)}", file=sys.stderr)
    return USAGE_STATUS


def reports_user_errors(main: Callable[[list[str] | None], int]) -> Callable[..., int]:
    """Wrap a command's ``main(argv)`` so a user error prints one line and returns 2."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        with exits_cleanly_on_sigterm():
            try:
                return main(argv)
            except USER_ERRORS as error:
                return print_error(error)
            except KeyboardInterrupt:
                # Every model is staged and published by one rename, so an interruption leaves
                # nothing half-written, and its traceback would say nothing the user needs.
                print("interrupted (a model is published whole or not at all)", file=sys.stderr)
                return 128 + signal.SIGINT

    return wrapper


@contextlib.contextmanager
def exits_cleanly_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (kill, a CI timeout, a container stop) into SystemExit while a command runs.

    Python's default for SIGTERM is to die at once, skipping the ``except``/``finally`` blocks that
    remove a half-written model folder; as an exception, they run.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum, frame):
        print("terminated (a model is published whole or not at all)", file=sys.stderr)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
