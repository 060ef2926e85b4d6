"""Render verdicts and profiles as tables for people (Chinese by default)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from coalguard.edge.quality import Overall, Profile, Status, Verdict
from coalguard.edge.quality.indicators import parse
from coalguard.i18n import t

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.RETEST: "yellow",
    Status.MISSING: "magenta",
    Status.UNSET: "dim",
    Overall.INCOMPLETE: "magenta",
    Overall.NO_LIMITS: "dim",
}


def _limit_text(min_: float | None, max_: float | None, unit: str) -> str:
    if min_ is not None and max_ is not None:
        return f"{min_:g}–{max_:g} {unit}"
    if max_ is not None:
        return f"≤ {max_:g} {unit}"
    if min_ is not None:
        return f"≥ {min_:g} {unit}"
    return "—"


def verdict_table(v: Verdict, lang: str) -> Table:
    overall = t(f"status.{v.overall.value}", lang)
    title = f"{t('verdict.sample', lang)} {v.sample_id} · {t('verdict.overall', lang)}: {overall}"
    caption = (
        f"{t('verdict.profile', lang)}: {v.profile_title} ({v.profile_id} v{v.profile_version})"
    )
    if v.provisional:
        caption += f"\n⚠ {t('verdict.provisional', lang)}"
    table = Table(title=title, caption=caption, title_style=_STYLE.get(v.overall, "bold"))
    for key in ("indicator", "measured", "value", "limit", "band", "result"):
        table.add_column(t(f"verdict.{key}", lang))
    for ind in v.indicators:
        measured = ", ".join(f"{k}={val:g}" for k, val in ind.measured.items()) or "—"
        value = f"{ind.value:.2f}" if ind.value is not None else "—"
        if ind.estimated:
            value += f" ({t('verdict.estimated', lang)})"
        status = t(f"status.{ind.status.value}", lang)
        if ind.missing:
            status += f" ({t('verdict.needs', lang)} {', '.join(ind.missing)})"
        table.add_row(
            ind.indicator,
            measured,
            value,
            _limit_text(ind.min, ind.max, ind.unit),
            f"{ind.band:g}" if ind.band is not None else "—",
            f"[{_STYLE.get(ind.status, '')}]{status}[/]",
        )
    return table


def summary_table(verdicts: list[Verdict], lang: str) -> Table:
    table = Table(title=t("verdict.overall", lang))
    for key in ("sample", "profile", "overall"):
        table.add_column(t(f"verdict.{key}", lang))
    for v in verdicts:
        style = _STYLE.get(v.overall, "")
        table.add_row(
            v.sample_id, v.profile_id, f"[{style}]{t(f'status.{v.overall.value}', lang)}[/]"
        )
    return table


def profile_table(p: Profile, lang: str, origin: str) -> Table:
    title = p.title_in(lang)
    caption = f"{t('profiles.source', lang)}: {p.source}\n{t('profiles.origin', lang)}: {origin}"
    if p.notes:
        caption += f"\n{p.notes}"
    table = Table(title=f"{p.id} · {title} · v{p.version}", caption=caption)
    for key in ("indicator", "limit", "band"):
        table.add_column(t(f"verdict.{key}", lang))
    for lim in p.limits:
        table.add_row(
            lim.indicator,
            _limit_text(lim.min, lim.max, parse(lim.indicator).unit),
            f"{lim.band:g}" if lim.band is not None else "r",
        )
    return table


def console() -> Console:
    return Console(soft_wrap=False)
