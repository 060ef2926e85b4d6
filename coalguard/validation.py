"""pydantic's field errors in a person's words, from the ``[validation]`` catalog.

pydantic words its errors in English ("Field required"); the API, the
checkpoint pages and the data-file loader all show field errors to people, so
each error type maps to a catalog message filled from pydantic's context
(``min_length``, ``gt``, ``expected`` ...). The machine-readable ``loc`` and
``type`` stay as pydantic gave them; only the words change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coalguard.errors import WordedError
from coalguard.i18n import t
from coalguard.untrusted_json import printable

# pydantic error type -> catalog key of its reason (parameters from ``ctx``, and ``got``).
REASONS = {
    "missing": "validation.missing",
    "missing_argument": "validation.missing",
    "extra_forbidden": "validation.extra_forbidden",
    "unexpected_keyword_argument": "validation.extra_forbidden",
    "string_type": "validation.not_text",
    "string_too_short": "validation.string_too_short",
    "string_too_long": "validation.string_too_long",
    "string_pattern_mismatch": "validation.pattern",
    "too_short": "validation.too_short",
    "too_long": "validation.too_long",
    "finite_number": "datafile.not_finite",
    "float_type": "datafile.not_number",
    "float_parsing": "datafile.not_number",
    "int_type": "datafile.not_integer",
    "int_parsing": "datafile.not_integer",
    "int_parsing_size": "datafile.not_integer",
    "int_from_float": "datafile.not_integer",
    "bool_type": "validation.not_bool",
    "bool_parsing": "validation.not_bool",
    "greater_than": "validation.greater_than",
    "greater_than_equal": "validation.greater_than_equal",
    "less_than": "validation.less_than",
    "less_than_equal": "validation.less_than_equal",
    "multiple_of": "validation.multiple_of",
    "literal_error": "validation.one_of",
    "enum": "validation.one_of",
    "json_invalid": "validation.json_invalid",
    "json_type": "validation.json_invalid",
    "dict_type": "validation.not_object",
    "model_type": "validation.not_object",
    "model_attributes_type": "validation.not_object",
    "list_type": "validation.not_list",
    "tuple_type": "validation.not_list",
    "set_type": "validation.not_list",
    "date_type": "validation.not_time",
    "date_parsing": "validation.not_time",
    "date_from_datetime_parsing": "validation.not_time",
    "date_from_datetime_inexact": "validation.not_time",
    "datetime_type": "validation.not_time",
    "datetime_parsing": "validation.not_time",
    "datetime_from_date_parsing": "validation.not_time",
    "time_type": "validation.not_time",
    "time_parsing": "validation.not_time",
    "timezone_aware": "validation.timezone_aware",
    "uuid_type": "validation.not_uuid",
    "uuid_parsing": "validation.not_uuid",
    "url_type": "validation.not_url",
    "url_parsing": "validation.not_url",
    "url_scheme": "validation.not_url",
    "union_tag_invalid": "validation.union_tag",
    "union_tag_not_found": "validation.union_tag",
    "value_error": "validation.value_error",
    "assertion_error": "validation.value_error",
}
# Where a request field came from: not part of the field's name for a person.
SOURCES = frozenset({"body", "query", "path", "header", "cookie"})
FIELD_MAX = 80  # characters of a field path shown (keys may come from a hostile document)


class FieldReason:
    """One field error's reason, worded when shown; ``str()`` is English (logs)."""

    def __init__(self, err: Mapping[str, Any]) -> None:
        self.err = dict(err)

    def text(self, lang: str | None = None) -> str:
        return reason(self.err, lang)

    def __str__(self) -> str:
        return self.text("en")


def reason(err: Mapping[str, Any], lang: str | None = None) -> str:
    """What is wrong with one field, in ``lang``; never pydantic's English in Chinese."""
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    if isinstance(inner, WordedError):
        return inner.text(lang)
    key = REASONS.get(str(err.get("type", "")), "validation.invalid")
    params = {k: _shown(v) for k, v in ctx.items() if k != "error"}
    msg = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    params.update(got=kind(err.get("input"), lang), msg=msg)
    try:
        return t(key, lang).format(**params)
    except (KeyError, IndexError, ValueError):
        return t("validation.invalid", lang).format(msg=msg)


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """``household.phone`` for ``("body", "household", "phone")``; shortened when absurd."""
    parts = list(loc)
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
    return short(".".join(map(str, parts)))


def short(text: str) -> str:
    """``text`` printable and at most ``FIELD_MAX`` characters (keys may be hostile)."""
    text = printable(text)
    return text if len(text) <= FIELD_MAX else text[: FIELD_MAX - 1] + "…"


def message(err: Mapping[str, Any], lang: str | None = None, field: str | None = None) -> str:
    """One field error as a sentence naming the field (``field`` overrides its path)."""
    shown = field if field is not None else field_name(tuple(err.get("loc", ())))
    why = reason(err, lang)
    if not shown or err.get("type") == "json_invalid":
        return t("validation.whole", lang).format(reason=why)
    return t("validation.field", lang).format(field=shown, reason=why)


def kind(value: Any, lang: str | None = None) -> str:
    """The kind of a refused value (never the value itself: it may be huge)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return t("datafile.kind_text", lang)
    if isinstance(value, float):
        return t("datafile.kind_decimal", lang)
    if isinstance(value, int):
        return t("datafile.kind_big_integer", lang)
    if isinstance(value, dict | list):
        return t("datafile.kind_table", lang)
    return t("datafile.kind_other", lang)


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return short(str(value))
