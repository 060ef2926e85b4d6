"""View models of the checkpoint's pages: what a template shows, already in words.

Routes build these from workflow rows (``page.py``, ``ledger_page.py``) so a
template never sees a raw state, action or stored UTC time.
"""

from __future__ import annotations

from dataclasses import dataclass

Cells = tuple[str, ...]  # a table row of plain text cells, already in words (``text_rows`` macro)


@dataclass(frozen=True)
class Chrome:
    """What the base layout needs on every page."""

    checkpoint: str
    here: str  # where the language switch comes back to
    langs: tuple[str, ...]
    csrf: str = ""
    operator: str = ""
    error: str = ""
    refresh: int = 0  # seconds between automatic reloads; 0: none


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    value: str = ""
    kind: str = "text"  # text | number | password | select (a text field's options: choices)
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()  # (value, label); ``value`` is selected
    size: int | None = None
    placeholder: str = ""


@dataclass(frozen=True)
class StepForm:
    """One posted form: a workflow step, a lab step, duty, a correction."""

    url: str
    button: str
    fields: tuple[Field, ...] = ()
    id: str = ""
    title: str = ""
    default: bool = False
    css: str = "step"


@dataclass(frozen=True)
class Status:
    css: str
    text: str


@dataclass(frozen=True)
class CameraRead:
    camera: str
    at: str
    plate: str
    confidence: str
    snapshot: str
    digest: str


@dataclass(frozen=True)
class VerdictRow:
    indicator: str
    value: str
    limit: str
    status: Status | None


@dataclass(frozen=True)
class VerdictView:
    overall: Status | None
    profile: str
    rows: tuple[VerdictRow, ...]
    provisional: bool = False  # the profile's limits are not verified: the page says so
    no_limits: bool = False  # nothing to judge by: the page says why the lab is offered
    profile_set: str = "—"  # the version of the profile set it was judged with


@dataclass(frozen=True)
class LabCompareRow:
    """One indicator: the rapid value and the lab value against the one limit."""

    indicator: str
    rapid_value: str
    lab_value: str
    limit: str
    rapid_status: Status | None
    lab_status: Status | None


@dataclass(frozen=True)
class LabCompareView:
    """The lab report of the inspection's sample, beside the rapid result."""

    sample_id: str
    report_no: str
    overall: Status | None
    profile: str
    same_profile: bool
    custody: tuple[tuple[str, str], ...]
    rows: tuple[LabCompareRow, ...]


@dataclass(frozen=True)
class PaperLink:
    """A print button on the operator page: the paper, its preview and its PDF."""

    paper: str  # raw, for the element id only
    title: str
    html: str
    pdf: str


@dataclass(frozen=True)
class BindCandidate:
    """A result the operator may bind: its values and the verdict it would give."""

    at: str
    analyzer: str
    values: str
    verdict: Status | None
    form: StepForm


@dataclass(frozen=True)
class TruckView:
    id: str
    plate: str
    state: str  # raw, for the data-state attribute only
    state_text: str
    case_open: bool
    opened_at: str
    camera_reads: tuple[CameraRead, ...]
    registration: tuple[tuple[str, str], ...]
    fast_pass: str
    fast_pass_reasons: tuple[str, ...]
    result: tuple[str, str] | None  # the analyzer and its values
    verdict: VerdictView | None
    lab: tuple[LabCompareView, ...]
    steps: tuple[StepForm, ...]
    history: tuple[Cells, ...]
    papers: tuple[PaperLink, ...] = ()
    watch: tuple[str, ...] = ()  # why this plate is watched (highlighted on arrival)
    zone: str = ""  # the destination village's zone check, in words (R22)
    held: bool = False  # bound for a 禁煤区: to be held, or held, for seizure
    # the sample the gateway issued (the label prints these); "" before sampling
    sample_id: str = ""
    seal: str = ""
    sampler: str = ""
    sampled_at: str = ""
    bind_list: tuple[BindCandidate, ...] | None = None  # while the sample waits for its result


@dataclass(frozen=True)
class TodayRow:
    id: str
    at: str
    plate: str
    state: str
    overall: Status | None


@dataclass(frozen=True)
class LabRow:
    sample_id: str
    plate: str
    step: str
    due: str
    overdue: bool
    form: StepForm


@dataclass(frozen=True)
class OperatorView:
    now: str
    uplink: str
    outbox_depth: int
    role: str
    can_manage_users: bool
    truck: TruckView | None
    arrive: StepForm
    pending_results: tuple[Cells, ...]
    manual_result: StepForm
    today: tuple[TodayRow, ...]
    lab: tuple[LabRow, ...]
    equipment: tuple[Cells, ...]
    alerts: tuple[Cells, ...]
    duty: StepForm
    handover: StepForm
    zone_list: str = ""  # the pulled zone list's version and age


@dataclass(frozen=True)
class BookLink:
    book: str
    title: str
    count: int


@dataclass(frozen=True)
class LedgerRow:
    seq: int
    at: str
    operator: str
    kind: str
    fields: tuple[str, ...]
    corrects: str
    hash: str
    correct: StepForm | None


@dataclass(frozen=True)
class LedgerView:
    title: str
    books: tuple[BookLink, ...]
    problems: tuple[str, ...]
    entries: tuple[LedgerRow, ...]


@dataclass(frozen=True)
class LoginView:
    next: str
    username: str = ""
    note: str = ""


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    role: str
    disabled: bool
    is_self: bool


@dataclass(frozen=True)
class UsersView:
    users: tuple[UserRow, ...]
    roles: tuple[str, ...]


@dataclass(frozen=True)
class CustodyRow:
    """One hand-over of a lab sample on the custody form."""

    step: str
    at: str
    by: str
    due: str


@dataclass(frozen=True)
class PaperView:
    """One printed paper (``templates/papers/``), every word and time already in place."""

    paper: str  # raw, selects the template's blocks
    title: str
    checkpoint: str
    number: str  # the paper's reference: the inspection (or sample) it is about
    provisional: str  # the marker when the limits are provisional, else ""
    facts: tuple[tuple[str, str], ...]
    statement: str
    verdict: VerdictView | None
    verdict_title: str
    profile_source: str
    custody: tuple[CustodyRow, ...]
    signatures: tuple[str, ...]  # the signature lines at the foot
    qr: str  # inline SVG (markup), or ""
    qr_caption: str
    ledger_hash: str
    printed: str
    zone_note: str


@dataclass(frozen=True)
class SearchRow:
    """One inspection found by the history search."""

    id: str
    at: str
    plate: str
    state: str
    overall: Status | None
    company: str


@dataclass(frozen=True)
class SearchView:
    """The history page: the filters as typed, one page of trucks, the page links."""

    plate: str
    day_from: str
    day_to: str
    company: str
    verdict: Field  # a select of the verdicts, "any" first
    rows: tuple[SearchRow, ...]
    total: int
    page: int
    pages: int
    prev_href: str
    next_href: str


@dataclass(frozen=True)
class LedgerHash:
    """A ledger entry of one inspection, with the hashes that chain it."""

    book: str
    seq: int
    at: str
    kind: str
    hash: str
    prev_hash: str
    intact: bool  # matches its hash, linked to the entries before and after it


@dataclass(frozen=True)
class InspectionView:
    """The read-only detail of one inspection: the truck, its sample, its ledger entries."""

    truck: TruckView
    closed_at: str
    sample: tuple[tuple[str, str], ...]
    ledger: tuple[LedgerHash, ...]
