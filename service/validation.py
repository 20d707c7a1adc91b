"""Checks on request payloads. Plain functions: they raise APIError with the status and a message
a site developer can act on."""

import re
from typing import Any

from service.errors import APIError
from service.text.arabic import INVISIBLES

# JSON lets both through as escapes ("\u0000", "\ud800"), but neither is text a database stores:
# PostgreSQL refuses NUL, UTF-8 has no lone surrogates, and SQLite's search index stops at NUL.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# A character a reader can see: not whitespace, a control character, tatweel, or one of the
# characters the normalizer drops as rendering nothing (zero-width spaces and joiners, bidi
# marks, the byte order mark, blank fillers). Written with \u escapes of the Basic Multilingual
# Plane only, so that Python and the ECMAScript regexes of JSON Schema read it alike; the OpenAPI
# document's "pattern" for a comment's text is this string.
VISIBLE_CHARACTER = "[^\\s\\x00-\\x1f\\x7f-\\x9f\\u0640" + "".join(
    f"\\u{low:04x}" + (f"-\\u{high:04x}" if high > low else "") for low, high in INVISIBLES) + "]"
_VISIBLE = re.compile(VISIBLE_CHARACTER)


def unstorable_character_at(payload: Any) -> str | None:
    """Return where in a parsed JSON value a string holds a NUL or a lone surrogate, or None.

    Walks with a stack, not recursion: the payload may nest as deep as the parser allowed.
    """
    stack = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return f"'{path}'" if path else "the body"
        elif isinstance(value, dict):
            for key, item in value.items():
                if _UNSTORABLE.search(key):
                    return f"a key of '{path}'" if path else "a key of the body"
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def require_object(payload: Any) -> dict:
    """Return ``payload`` if it is a JSON object."""
    if not isinstance(payload, dict):
        raise APIError(422, f"the body must be a JSON object, not {_json_type(payload)}")
    return payload


def check_text(value: Any, max_chars: int, field: str = "text") -> str:
    """Return ``value`` if it is a non-blank string of at most ``max_chars`` characters."""
    if value is None:
        raise APIError(422, f"'{field}' is required", field=field)
    if not isinstance(value, str):
        raise APIError(422, f"'{field}' must be a string, not {_json_type(value)}", field=field)
    if not _VISIBLE.search(value):
        # "\u200b" or "ـــ" alone would be published as an empty comment.
        raise APIError(422, f"'{field}' is empty, or holds only spaces and invisible characters",
                       field=field)
    if len(value) > max_chars:
        raise APIError(
            413, f"'{field}' has {len(value)} characters; the limit is {max_chars}", field=field
        )
    return value


def parse_moderate(payload: Any, max_chars: int) -> str:
    """Return the comment text of a POST /v1/moderate body."""
    return check_text(require_object(payload).get("text"), max_chars)


def parse_moderate_batch(payload: Any, max_chars: int, max_batch: int,
                         max_batch_chars: int) -> list[str]:
    """Return the comment texts of a POST /v1/moderate/batch body."""
    texts = require_object(payload).get("texts")
    if texts is None:
        raise APIError(422, "'texts' is required", field="texts")
    if not isinstance(texts, list):
        raise APIError(
            422, f"'texts' must be an array of strings, not {_json_type(texts)}", field="texts"
        )
    if not texts:
        raise APIError(422, "'texts' is empty", field="texts")
    if len(texts) > max_batch:
        raise APIError(
            413, f"'texts' has {len(texts)} items; the limit is {max_batch}", field="texts"
        )
    errors, checked = [], []
    for index, text in enumerate(texts):
        try:
            checked.append(check_text(text, max_chars, field=f"texts[{index}]"))
        except APIError as error:
            errors.append(
                {"field": f"texts[{index}]", "message": error.description, "code": error.code}
            )
    if errors:
        code = 413 if all(e["code"] == 413 for e in errors) else 422
        raise APIError(code, f"{len(errors)} of the texts are invalid", errors=errors)
    total = sum(map(len, checked))
    if total > max_batch_chars:
        # Scoring time grows with the characters, not the comments: a thousand texts at the
        # length limit, each full of listed words, would outlast the worker's timeout.
        raise APIError(413, f"'texts' hold {total:,} characters; the limit per request is "
                            f"{max_batch_chars:,}: send them in smaller batches", field="texts")
    return checked


def _json_type(value: Any) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
