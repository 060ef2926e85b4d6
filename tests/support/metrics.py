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


# The samples each metric type exposes besides its family name (the parser drops ``_total``).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "info": ("_info",),
}


def exposed_names(text: str | bytes) -> set[str]:
    """Every sample name an exposition offers to PromQL, also of families with no sample yet."""
    if isinstance(text, bytes):
        text = text.decode()
    names: set[str] = set()
    for fam in text_string_to_metric_families(text):
        names.add(fam.name)
        names.update(fam.name + s for s in SUFFIXES.get(fam.type, ()))
        names.update(s.name for s in fam.samples)
    return names
