"""Small PNG charts for DMs, drawn off-screen with matplotlib's Agg canvas.

Only the object API is used (no pyplot): it keeps no global state, so listener and scheduler
threads can draw at the same time, and nothing ever tries to open a window.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from typing import Protocol

FLOOR_NOTE = "below minimum group size"


class TrendPoint(Protocol):
    """One week of a trend; None values are weeks below the floor, drawn as gaps."""

    @property
    def week(self) -> date: ...

    @property
    def response_rate(self) -> float | None: ...

    @property
    def using_ai(self) -> float | None: ...


def _percent(value: float | None) -> float:
    return math.nan if value is None else value * 100


def trend_png(points: Sequence[TrendPoint], title: str) -> bytes:
    """Response rate and % using AI per week as a small PNG; suppressed weeks are gaps."""
    # Imported here: matplotlib takes a moment to load and most commands never draw.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    xs = list(range(len(points)))
    rate = [_percent(p.response_rate) for p in points]
    using = [_percent(p.using_ai) for p in points]
    axes.plot(xs, rate, marker="o", linewidth=2, color="#1f6f8b", label="Response rate")
    axes.plot(xs, using, marker="s", linewidth=2, color="#e07a1f", label="% using AI")
    gaps = [x for x, p in zip(xs, points, strict=True) if p.response_rate is None]
    for x in gaps:
        axes.axvspan(x - 0.4, x + 0.4, color="0.9", linewidth=0)
    axes.set_ylim(0, 100)
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_xlim(-0.6, max(len(points), 1) - 0.4)
    axes.set_xticks(xs, [p.week.strftime("%-d %b") for p in points], fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", color="0.85", linewidth=0.6)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    # Team names are user text: never let a "$" switch on math rendering.
    axes.set_title(title[:80], fontsize=9, loc="left", parse_math=False)
    if not points:
        axes.text(0.5, 0.5, "No closed rounds yet", ha="center", va="center", fontsize=8)
    handles, _ = axes.get_legend_handles_labels()
    if gaps:
        handles.append(Patch(color="0.9", label=FLOOR_NOTE))
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
