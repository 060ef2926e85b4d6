"""Geometry of the cloud's SVG charts; the tags live in ``templates/charts/``.

Numbers only: where each line, bar and label goes. Words and escaping are the
templates' job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Frame:
    """The picture's size and where its plot starts (every chart has one)."""

    width: int
    height: int
    left: int


CO_ALARM_PPM = 50.0


@dataclass(frozen=True)
class LinePlot(Frame):
    """A CO ppm line over time with the alarm level marked."""

    right: int
    top: int
    plot_bottom: float
    points: str
    alarm_y: float
    vmax: float
    first: datetime
    last: datetime
    n: int


def co_line(points: list[tuple[datetime, float]], width: int = 760, height: int = 240) -> LinePlot:
    """Scale ``(time, ppm)`` points into the plot box; the axis reaches at least 60 ppm."""
    left, right, top, bottom = 44, 10, 14, 30
    t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
    span = max(t1 - t0, 1.0)
    vmax = max(60.0, max(v for _, v in points) * 1.1)
    pw, ph = width - left - right, height - top - bottom

    def xy(t: datetime, v: float) -> tuple[float, float]:
        return left + pw * (t.timestamp() - t0) / span, top + ph * (1 - v / vmax)

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(t, v) for t, v in points))
    return LinePlot(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        plot_bottom=top + ph,
        points=path,
        alarm_y=round(xy(points[0][0], CO_ALARM_PPM)[1], 1),
        vmax=vmax,
        first=points[0][0],
        last=points[-1][0],
        n=len(points),
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    series: int  # 0 or 1: which colour and legend entry


@dataclass(frozen=True)
class BarGroup:
    label: str
    label_x: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class BarChart(Frame):
    """Grouped bars of two series, one group per label."""

    axis_y: float
    top_value: float
    legend_x: int
    groups: tuple[BarGroup, ...]


def grouped_bars(items: list[tuple[str, float, float]], width: int = 640) -> BarChart:
    """Two bars per ``(label, a, b)``, scaled to the largest value."""
    h, top, bottom, left = 220, 28, 46, 40
    plot_h = h - top - bottom
    top_val = max((max(x[1], x[2]) for x in items), default=0) or 1
    group_w = (width - left - 10) / max(len(items), 1)
    bar_w = max(min(group_w / 3, 28), 2)
    groups = []
    for k, (label, v1, v2) in enumerate(items):
        x0 = left + k * group_w + (group_w - 2 * bar_w) / 2
        bars = []
        for j, v in enumerate((v1, v2)):
            bh = plot_h * (v / top_val)
            bars.append(
                Bar(
                    x=round(x0 + j * bar_w, 1),
                    y=round(top + plot_h - bh, 1),
                    width=round(bar_w - 1, 1),
                    height=round(bh, 1),
                    value=v,
                    series=j,
                )
            )
        groups.append(BarGroup(label=label, label_x=round(x0 + bar_w, 1), bars=tuple(bars)))
    return BarChart(
        width=width,
        height=h,
        left=left,
        axis_y=top + plot_h,
        top_value=top_val,
        legend_x=width - 170,
        groups=tuple(groups),
    )
