"""Read a Prometheus exposition as Prometheus does (``prometheus_client``'s parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, tuple[tuple[str, str], ...]]


def samples(text: str | bytes) -> dict[Key, float]:
    """Every sample by (name, sorted labels); a malformed exposition raises."""
    if isinstance(text, bytes):
        text = text.decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def sample(text: str | bytes, name: str, **labels: str) -> float:
    """The value of one sample (KeyError naming it when absent)."""
    return samples(text)[(name, tuple(sorted(labels.items())))]
