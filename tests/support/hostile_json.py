"""JSON a hostile device or gateway may send: shared by the property tests of every reader.

``json_values`` draws Python values of every JSON type (text with lone
surrogates and NUL, NaN, infinities); ``HOSTILE_FRAGMENTS`` is JSON text
Python's encoder will not write, or values at the edge of a limit.
"""

from __future__ import annotations

from hypothesis import strategies as st

any_text = st.text(st.characters(exclude_categories=()), max_size=8)  # surrogates and NUL too


def json_values(max_leaves: int = 8, max_size: int = 3) -> st.SearchStrategy[object]:
    """Nested lists and objects of any JSON scalar, keys of any text."""
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | any_text,
        lambda inner: (
            st.lists(inner, max_size=max_size) | st.dictionaries(any_text, inner, max_size=max_size)
        ),
        max_leaves=max_leaves,
    )


HOSTILE_FRAGMENTS = [
    "9" * 5000,
    "-" + "1" * 4301,
    "1" * 4300,
    "[" * 65 + "]" * 65,
    "[" * 100 + "]" * 100,
    "[" * 3000 + "]" * 3000,
    "NaN",
    "-Infinity",
    "1e999",
    '"\\ud800"',
    '"\\u0000"',
    '{"\\udfff": 1}',
]
