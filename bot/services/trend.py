"""A team's closed rounds, counted, with the minimum group size applied; and the weekly chart.

Everything here is an aggregate. A round with fewer respondents than the team's minimum group
size keeps only its date: its numbers never leave this module.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from atlas import floor as group_floor
from atlas import published as published_figures
from atlas.questions import CORE_IDS
from bot import charts
from bot.outbound import Caller, CallResult, Outcome, upload_to_dm
from bot.scheduling.calendar import zone
from bot.storage import diagnosis as diagnosis_repo
from bot.storage import reports
from bot.storage import teams as team_repo
from bot.storage.db import Database
from bot.storage.models import PulseRound, Team

log = logging.getLogger(__name__)

TREND_WEEKS = 12
MIN_CHART_WEEKS = 2  # a single reportable week is a dot, not a trend
USAGE = "ai_frequency"
GO_TO = "go_to_person"


@dataclass(frozen=True)
class RoundFigures:
    """One closed round, counted. Holds no user id: go-to answers are reduced to two counts."""

    local_date: date
    asked: frozenset[str]  # questions the round asked (a person may have skipped some)
    invited: int  # people the pulse reached
    respondents: int  # people who answered anything
    tallies: Mapping[str, Mapping[str, int]]  # question → option → how many chose it
    answerers: Mapping[str, int]  # question → how many answered it
    go_to_top: int  # go-to answers naming the most-named person
    go_to_total: int  # go-to answers in all
    confidential: Mapping[str, Mapping[str, int]]  # confidential question → option → count
    withheld: bool = False  # changed since shown by fewer people than the floor: show nothing


@dataclass(frozen=True)
class WeekStats:
    """One week of the trend. Below the floor only the date is kept, so no number can leak."""

    week: date
    reportable: bool
    invited: int | None = None
    respondents: int | None = None
    response_rate: float | None = None
    using_ai: float | None = None  # share of usage answers other than "not at all"
    withheld: bool = False  # not shown because it changed since shown by too few people


def figures(session: Session, rounds: Sequence[PulseRound], floor: int) -> list[RoundFigures]:
    """The rounds' figures as they may be shown now, one per round in the same order.

    Each is compared with the figures last shown of its round (`atlas.published`): when too few
    people changed since, it comes back withheld; otherwise it becomes the round's shown record.
    """
    counted = count(session, rounds)
    shown = reports.published(session=session, round_ids=[r.id for r in rounds])
    result = []
    for r, figure in zip(rounds, counted, strict=True):
        if published_figures.withheld(shown.get(r.id), snapshot(figure, 0), floor):
            result.append(replace(figure, withheld=True))
            continue
        now = snapshot(figure, floor)
        if shown.get(r.id) != now:
            reports.publish(session=session, round_id=r.id, figures=now)
        result.append(figure)
    return result


def snapshot(figure: RoundFigures, floor: int) -> dict:
    """What of a round passes `floor`, as JSON-ready data (the format of `atlas.published`)."""
    if not group_floor.shown(figure.respondents, floor):
        return {"invited": None, "respondents": None, "questions": {}, "go_to": None}
    questions = {}
    for question_id in sorted(figure.asked | set(figure.answerers)):
        people = answered(figure, question_id)
        if not group_floor.shown(people, floor):
            continue
        counted = figure.confidential if question_id in figure.confidential else figure.tallies
        questions[question_id] = {
            "answered": people,
            "tally": dict(sorted(counted.get(question_id, {}).items())),
        }
    go_to = None
    if group_floor.shown(figure.go_to_total, floor):
        go_to = {"top": figure.go_to_top, "total": figure.go_to_total}
    return {
        "invited": figure.invited,
        "respondents": figure.respondents,
        "questions": questions,
        "go_to": go_to,
    }


def count(session: Session, rounds: Sequence[PulseRound]) -> list[RoundFigures]:
    """Count the answers of these rounds, in SQL, one figure per round in the same order."""
    ids = [r.id for r in rounds]
    if not ids:
        return []
    counts = reports.round_counts(session=session, round_ids=ids)
    tallies: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    answerers: dict[int, Counter[str]] = defaultdict(Counter)
    go_to: dict[int, Counter[str]] = defaultdict(Counter)
    for round_id, _role, question_id, value, n in diagnosis_repo.answer_counts(
        session=session, round_ids=ids
    ):
        if not value:
            continue
        answerers[round_id][question_id] += n
        if question_id == GO_TO:
            go_to[round_id][value[0]] += n
            continue
        for option in value:
            tallies[round_id][question_id][option] += n
    confidential = diagnosis_repo.confidential_counts(session=session, round_ids=ids)
    result = []
    for r in rounds:
        invited, respondents = counts.get(r.id, (0, 0))
        disabled = set(r.disabled_questions or ())
        asked = {q for q in CORE_IDS if q not in disabled}
        if r.rotating_question_id:
            asked.add(r.rotating_question_id)
        asked |= set(tallies[r.id]) | set(confidential.get(r.id, {}))
        named = go_to[r.id]
        result.append(
            RoundFigures(
                local_date=r.local_date,
                asked=frozenset(asked),
                invited=invited,
                respondents=respondents,
                tallies={q: dict(c) for q, c in tallies[r.id].items()},
                answerers=dict(answerers[r.id]),
                go_to_top=max(named.values(), default=0),
                go_to_total=sum(named.values()),
                confidential={q: dict(c) for q, c in confidential.get(r.id, {}).items()},
            )
        )
    return result


def reportable(figure: RoundFigures, floor: int) -> bool:
    """Whether any of a round's numbers may be shown: enough respondents, and not withheld."""
    return not figure.withheld and group_floor.shown(figure.respondents, floor)


def answered(figure: RoundFigures, question_id: str) -> int:
    """How many people answered one question in the round (confidential ones: their tally)."""
    if question_id in figure.confidential:
        return sum(figure.confidential[question_id].values())  # single choice: one per person
    return figure.answerers.get(question_id, 0)


def question_tally(figure: RoundFigures, question_id: str, floor: int) -> Mapping[str, int] | None:
    """One question's counts per option, or None when too few answered it to show any."""
    if not reportable(figure, floor):
        return None
    counted = figure.confidential if question_id in figure.confidential else figure.tallies
    return group_floor.tally_or_none(
        counted.get(question_id, {}), answered(figure, question_id), floor
    )


def week_stats(figure: RoundFigures, floor: int) -> WeekStats:
    """The trend's view of one round: rates when at or above the floor, else just the date."""
    if not reportable(figure, floor):
        return WeekStats(week=figure.local_date, reportable=False, withheld=figure.withheld)
    usage = question_tally(figure, USAGE, floor)
    using = None
    if usage is not None:
        people = answered(figure, USAGE)
        using = (people - usage.get("none", 0)) / people
    rate = min(1.0, figure.respondents / figure.invited) if figure.invited else None
    return WeekStats(
        week=figure.local_date,
        reportable=True,
        invited=figure.invited,
        respondents=figure.respondents,
        response_rate=rate,
        using_ai=using,
    )


def local_today(team: Team, now: datetime) -> date:
    """The date in the team's zone."""
    return now.astimezone(zone(team.timezone)).date()


def recent(
    session: Session, team: Team, now: datetime, weeks: int = TREND_WEEKS
) -> list[RoundFigures]:
    """The closed rounds of the last `weeks` weeks (at most `weeks` of them), counted."""
    today = local_today(team, now)
    rounds = reports.closed_rounds(
        session=session,
        team_id=team.id,
        since=today - timedelta(weeks=weeks) + timedelta(days=1),
        until=today,
    )
    return figures(session, rounds[-weeks:], team.min_group_size)


def trend(session: Session, team: Team, now: datetime) -> list[WeekStats]:
    """Response rate and AI use per week over the last 12 weeks, oldest first."""
    return [week_stats(f, team.min_group_size) for f in recent(session, team, now)]


def send_chart(*, db: Database, team_id: int, caller: Caller, to: list[str], now: datetime) -> int:
    """Upload the trend chart into each recipient's DM; returns how many got it.

    Goes with the weekly digest, so it must never stop it: every failure is logged and skipped.
    """
    try:
        with db.unit_of_work() as session:
            team = team_repo.get(session=session, team_id=team_id)
            weeks = trend(session, team, now)
            name = team.name
        if sum(w.reportable for w in weeks) < MIN_CHART_WEEKS:
            return 0
        png = charts.trend_png(weeks, f"{name}: the last {TREND_WEEKS} weeks")
    except Exception:
        log.exception("could not draw the trend chart of team %s", team_id)
        return 0
    sent = 0
    for user_id in to:
        try:
            result = _upload(caller, user_id, png, name, now)
        except Exception:
            log.exception("the trend chart of team %s failed for %s", team_id, user_id)
            continue
        if result.outcome is Outcome.OK:
            sent += 1
            continue
        log.warning(
            "the trend chart of team %s did not reach %s (%s)", team_id, user_id, result.error
        )
        if result.outcome is Outcome.STOP:
            break
    return sent


def _upload(caller: Caller, user_id: str, png: bytes, team_name: str, now: datetime) -> CallResult:
    """Upload the chart into the person's DM."""
    return upload_to_dm(
        caller,
        user_id,
        content=png,
        filename=f"adoption-trend-{now.date().isoformat()}.png",
        title=f"{team_name}: response rate and AI use, last {TREND_WEEKS} weeks",
    )
