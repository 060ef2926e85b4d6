"""The checkpoint's papers: which may be printed when, what they state, who printed them.

Five papers (docs/gateway.md, Papers): the turn-back notice (劝返告知书) for a
truck turned back, the seizure notice (查扣告知书) for a truck held for seizure
(R22), the inspection slip (检验单) for a released one, the sample label for the
bag of a sample taken, and the lab custody form (送检单) for a sample sent to
the lab. A paper asked for in the wrong state is refused with
the reason. Every print is an inspection-ledger entry (who, which paper, when),
so the cloud holds a copy of it like any other entry. The words are the web
side's (``web/papers.py``); here are the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coalguard.edge.quality import ProfileSet, UnknownProfile
from coalguard.gateway.errors import GatewayError
from coalguard.gateway.ledger import Entry, Ledger, row_entry
from coalguard.gateway.store import Store

PAPERS = ("notice", "seizure", "slip", "label", "custody")
PRINT_ENTRY = "paper_printed"  # the inspection-ledger entry kind of a print


class PaperRefused(GatewayError):
    """This paper does not exist for the inspection in its state (words in ``[gw_papers]``)."""

    section = "gw_papers"


@dataclass(frozen=True)
class SampleFacts:
    """The rapid sample as taken: id, seal, sampler and time (UTC text)."""

    sample_id: str
    seal: str
    sampler: str
    sampled_at: str


def sample_facts(insp: dict[str, Any]) -> SampleFacts | None:
    """The sample of an inspection, from its own columns when present, else ``sample``.

    The sample-binding work moves ``sample_id``/``seal``/``sampler``/``sampled_at``
    onto the inspection; until then they live in the ``sample`` document.
    """
    doc = insp.get("sample") or {}
    sample_id = insp.get("sample_id") or doc.get("sample_id")
    if not sample_id:
        return None
    return SampleFacts(
        sample_id=str(sample_id),
        seal=str(insp.get("seal") or doc.get("seal") or doc.get("seal_no") or ""),
        sampler=str(insp.get("sampler") or doc.get("sampler") or ""),
        sampled_at=str(insp.get("sampled_at") or doc.get("sampled_at") or doc.get("taken_at")),
    )


def ledger_mark(store: Store, insp: dict[str, Any]) -> Entry | None:
    """The inspection ledger's entry of the inspection's latest step (the QR code's seq, hash)."""
    row = store.row(
        "SELECT * FROM ledger WHERE book = 'inspection' "
        "AND json_extract(body, '$.inspection_id') = ? AND json_extract(body, '$.seq') = ? "
        "AND kind != ? ORDER BY seq DESC LIMIT 1",
        (insp["id"], insp["seq"], PRINT_ENTRY),
    )
    return row_entry(row) if row else None


def lab_sample(store: Store, inspection_id: str) -> dict[str, Any] | None:
    """The inspection's newest lab sample, or None."""
    row = store.row(
        "SELECT * FROM lab_samples WHERE inspection_id = ? ORDER BY sampled_at DESC LIMIT 1",
        (inspection_id,),
    )
    return dict(row) if row else None


def custody_steps(store: Store, lab_sample_id: str) -> list[Entry]:
    """Each recorded hand-over of a lab sample, oldest first (sampling ledger)."""
    rows = store.rows(
        "SELECT * FROM ledger WHERE book = 'sampling' "
        "AND json_extract(body, '$.lab_sample_id') = ? ORDER BY seq",
        (lab_sample_id,),
    )
    return [row_entry(r) for r in rows]


def provisional(profiles: ProfileSet, insp: dict[str, Any]) -> bool:
    """True when the verdict, or the profile a sample taken will be judged by, is unverified.

    A truck released on the fast pass has neither: its paper says nothing of limits.
    """
    verdict = insp.get("verdict")
    if verdict is not None:
        return bool(verdict.get("provisional"))
    if not insp.get("profile_id") or sample_facts(insp) is None:
        return False
    try:
        return not profiles.get(insp["profile_id"]).verified
    except UnknownProfile:
        return False


def check_printable(store: Store, paper: str, insp: dict[str, Any]) -> None:
    """Refuse a paper that does not exist for this inspection now, saying why."""
    if paper not in PAPERS:
        raise PaperRefused("unknown_paper", name=paper, known=", ".join(PAPERS))
    state = insp["state"]
    if paper == "notice" and state != "turned_back":
        raise PaperRefused("notice_needs_turn_back", plate=insp["plate"], state=state)
    if paper == "seizure" and state != "held_for_seizure":
        raise PaperRefused("seizure_needs_hold", plate=insp["plate"], state=state)
    if paper == "slip" and state != "released":
        raise PaperRefused("slip_needs_release", plate=insp["plate"], state=state)
    if paper == "label" and sample_facts(insp) is None:
        raise PaperRefused("label_needs_sample", plate=insp["plate"], state=state)
    if paper == "custody" and lab_sample(store, insp["id"]) is None:
        raise PaperRefused("custody_needs_lab", plate=insp["plate"], state=state)


def printable(store: Store, insp: dict[str, Any]) -> list[str]:
    """The papers this inspection has now, in the order the page offers them."""
    out = []
    for paper in PAPERS:
        try:
            check_printable(store, paper, insp)
        except PaperRefused:
            continue
        out.append(paper)
    return out


def record_print(
    ledger: Ledger, insp: dict[str, Any], paper: str, operator: str, fmt: str, lang: str
) -> None:
    """Who printed which paper of which inspection, and when: an inspection-ledger entry."""
    ledger.append(
        "inspection",
        PRINT_ENTRY,
        operator,
        {
            "inspection_id": insp["id"],
            "plate": insp["plate"],
            "paper": paper,
            "format": fmt.upper(),
            "lang": lang,
        },
    )
