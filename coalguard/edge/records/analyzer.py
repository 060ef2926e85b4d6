"""Analyzer results and what the analyzer link could not decode."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from coalguard.edge.records.base import CheckpointRecord, register


@register
class AnalyzerResultRecord(CheckpointRecord):
    """A rapid result; ``entered_by`` names the person who typed it by hand."""

    KIND = "analyzer.result"
    OMIT_IF_NONE: ClassVar[frozenset[str]] = frozenset({"entered_by"})

    result_id: str = Field(min_length=1)
    analyzer_id: str
    sample_id: str | None
    at: str
    indicators: dict[str, float]
    uncertainty: dict[str, float]
    entered_by: str | None = None


@register
class AnalyzerDeadLetter(CheckpointRecord):
    """Analyzer output the gateway refused, with the reason and what came in."""

    KIND = "analyzer.dead_letter"

    analyzer_id: str
    reason: str
    raw: dict[str, Any]
    at: str
