"""The ledger page's view model: one book, newest first, every entry in words.

An entry's body is stored as the step wrote it (raw names, UTC); here each
field gets its label from ``[gw_field]`` and its value the words a person
reads (states, actions, verdicts, Asia/Shanghai times).
"""

from __future__ import annotations

from typing import Any

from coalguard.edge.clock import local_text
from coalguard.gateway.errors import in_words
from coalguard.gateway.ledger import BOOKS, Entry, Problem
from coalguard.gateway.papers import PRINT_ENTRY
from coalguard.gateway.roles import may
from coalguard.gateway.service import Gateway
from coalguard.gateway.web.auth import Principal
from coalguard.gateway.web.page import operator_text, reason_text
from coalguard.gateway.web.views import BookLink, Field, LedgerRow, LedgerView, StepForm
from coalguard.i18n import t

# Internal ids, and what the row says already (its time; an inspection entry's kind is its step).
HIDDEN = frozenset(
    {"checkpoint_id", "inspection_id", "lab_sample_id", "seq", "at", "schema_version"}
)
TIMES = frozenset({"at", "taken_at", "received_at", "dispatch_due", "report_due", "measured_at"})


def kind_text(book: str, kind: str, lang: str) -> str:
    """What kind of entry this is, in words (a correction names what it corrects)."""
    if kind.startswith("correction."):
        return (
            f"{t('gw.correct', lang)} · {kind_text(book, kind.removeprefix('correction.'), lang)}"
        )
    if book == "inspection" and kind == PRINT_ENTRY:
        return t("gw_papers.entry_printed", lang)
    if book == "inspection":
        return in_words("action", kind, lang)
    return in_words("gw_entry", kind, lang)


def value_text(book: str, name: str, value: Any, lang: str) -> str:
    if name in TIMES:
        return local_text(value, "%m-%d %H:%M:%S")
    if name == "action":
        return in_words("action", str(value), lang)
    if name in ("from", "to") and book == "inspection":
        return in_words("state", str(value), lang) if value else "—"
    if name == "paper":
        return in_words("gw_papers", str(value), lang)
    if name == "lang":
        return in_words("gw_lang", str(value), lang)
    if name == "overall":
        return in_words("status", str(value), lang)
    if name == "reason":
        return reason_text(str(value), lang)
    if isinstance(value, bool):
        return t("gw_page.yes" if value else "gw_page.no", lang)
    return "—" if value is None or value == "" else str(value)


def entry_fields(e: Entry, lang: str) -> tuple[str, ...]:
    """``label: value`` for each scalar field a person needs (ids and lists left out)."""
    out = []
    for name, value in e.body.items():
        if name in HIDDEN or isinstance(value, list | dict):
            continue
        if name == "action" and e.book == "inspection":
            continue
        label = in_words("gw_field", name, lang)
        out.append(f"{label}{t('gw_page.colon', lang)}{value_text(e.book, name, value, lang)}")
    return tuple(out)


def problem_text(p: Problem, lang: str) -> str:
    return p.text(lang)


def ledger_view(gw: Gateway, book: str, who: Principal, lang: str) -> LedgerView:
    counts, problems = gw.ledger.verify()
    can_correct = may(who.user.role, "ledger.correct")

    def correct_form(entry_id: str) -> StepForm:
        return StepForm(
            f"/ui/ledger/{entry_id}/correct",
            t("gw.correct", lang),
            (
                Field("reason", "", size=8, placeholder=t("gw.reason", lang)),
                Field("note", "", required=False, size=10, placeholder=t("gw.note", lang)),
            ),
            css="inline",
        )

    return LedgerView(
        title=t(f"gw_book.{book}", lang),
        books=tuple(BookLink(b, t(f"gw_book.{b}", lang), counts.get(b, 0)) for b in BOOKS),
        problems=tuple(problem_text(p, lang) for p in problems),
        entries=tuple(
            LedgerRow(
                seq=e.seq,
                at=local_text(e.at, "%m-%d %H:%M:%S"),
                operator=operator_text(e.operator, lang),
                kind=kind_text(e.book, e.kind, lang),
                fields=entry_fields(e, lang),
                corrects=e.corrects[:8] if e.corrects else "",
                hash=e.hash[:12],
                correct=correct_form(e.id) if can_correct else None,
            )
            for e in gw.ledger.entries(book, limit=200)
        ),
    )
