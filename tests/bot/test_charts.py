"""The trend chart: a small PNG, drawn off-screen, with gaps for weeks below the floor."""

from __future__ import annotations

import struct
from datetime import date, timedelta

from bot.charts import trend_png
from bot.services.trend import WeekStats

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's header chunk."""
    return struct.unpack(">II", png[16:24])


def _weeks(n: int, suppressed: tuple[int, ...] = ()) -> list[WeekStats]:
    return [
        WeekStats(date(2026, 9, 7) + timedelta(weeks=i), reportable=False)
        if i in suppressed
        else WeekStats(
            date(2026, 9, 7) + timedelta(weeks=i),
            reportable=True,
            invited=20,
            respondents=10 + i,
            response_rate=(10 + i) / 20,
            using_ai=0.3 + i / 40,
        )
        for i in range(n)
    ]


def test_the_trend_is_a_small_png() -> None:
    png = trend_png(_weeks(12, suppressed=(3, 8)), "Design: the last 12 weeks")
    assert png.startswith(PNG_SIGNATURE)
    assert _size(png) == (640, 280)
    assert len(png) < 100_000


def test_weeks_below_the_floor_are_gaps_not_zeros() -> None:
    with_gap = trend_png(_weeks(4, suppressed=(2,)), "t")
    as_zero = trend_png(
        [
            w
            if w.reportable
            else WeekStats(w.week, reportable=True, response_rate=0.0, using_ai=0.0)
            for w in _weeks(4, suppressed=(2,))
        ],
        "t",
    )
    assert with_gap.startswith(PNG_SIGNATURE) and with_gap != as_zero


def test_no_weeks_and_a_dollar_in_the_team_name_still_draw() -> None:
    assert trend_png([], "Cost $ savings $team").startswith(PNG_SIGNATURE)
