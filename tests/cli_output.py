"""What a command-line tool printed, as its tests read it."""


def error_line(capsys) -> str:
    """The one line a refused command prints: ``error: <why>``, and no traceback."""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    (line,) = captured.err.splitlines()
    assert line.startswith("error: ")
    return line
