"""How deep a JSON text nests, read as bytes before any parser sees it (a parser recurses once per level)."""

from __future__ import annotations

_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def nesting_depth(body: bytes, stop_at: int) -> int:
    """The deepest nesting of arrays and objects in `body` (brackets inside strings do not count); counting stops
    once `stop_at` is passed, so a hostile body costs no more than reading it once."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_at:
                    return deepest
        elif byte in _CLOSE:
            depth -= 1
    return deepest
