"""How deep a JSON body nests, counted on its bytes before a parser recurses into it."""

from app.domain.json_guard import nesting_depth


def test_arrays_and_objects_count_their_levels():
    assert nesting_depth(b'{"a": [1, {"b": []}]}', 32) == 4
    assert nesting_depth(b"[]", 32) == 1 and nesting_depth(b"7", 32) == 0


def test_brackets_inside_strings_and_after_escaped_quotes_do_not_count():
    assert nesting_depth(b'{"a": "[[[[\\"[[[["}', 32) == 1


def test_counting_stops_just_past_the_limit():
    assert nesting_depth(b"[" * 100_000 + b"]" * 100_000, 32) == 33
