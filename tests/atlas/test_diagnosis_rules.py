"""The diagnosis rules: each fires on its pattern, stays quiet on a healthy team, waits for
enough data, and the engine adds stages, since, cleared, marks and recovery on top."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta

import pytest

from atlas.diagnosis.engine import NEXT_STEP, diagnose, usage_share
from atlas.diagnosis.model import (
    CheckIn,
    Finding,
    Mark,
    RecoveryWindow,
    RoundStats,
    Source,
    Status,
    TeamSnapshot,
    Workflow,
)
from atlas.diagnosis.rules import RULES, live_stages
from atlas.diagnosis.rules.signals import UNNOTICED
from atlas.modes import MODES, RECOVERY_STEPS

NOW = datetime(2026, 6, 5, 18, 30)  # a Friday evening: this week's round has closed
THIS_MONDAY = date(2026, 6, 1)
OWNER, LEAD, CEO = "U0OWNER", "U0LEAD", "U0CEO"
ROLES = {"owner": (OWNER,), "ai_lead": (LEAD,), "executive_sponsor": (CEO,)}
GROUP_TEXT = "The team's minimum group size is 5; smaller groups are never reported."
TOO_FEW = f"Not enough answers to that question yet. {GROUP_TEXT}"

HEALTHY_USE = {"none": 2, "few": 3, "several": 3, "daily": 2}
HEALTHY_ANSWERS = {
    "ai_tools": {"chatgpt": 7, "claude": 3},
    "first_heard": {"kickoff": 6, "manager": 3, "slack": 1},
    "prompt_source": {"own": 5, "mixed": 4, "generic": 1},
    "training_fit": {"yes": 6, "partly": 3, "generic": 1},
    "output_problems": {"no": 9, "unsure": 1},
    "whats_in_it": {"helps": 7, "unsure": 3},
}
HEALTHY_GO_TO = {LEAD: 2, "U1": 2, "U2": 2, "U3": 1}
HEALTHY_PASTE = {"no": 9, "unsure": 1}
SIGNAL_MODES = [m for m, r in RULES.items() if r.signal]
SELF_ASSESSED = [m for m, r in RULES.items() if not r.signal]
AGGREGATE_MODES = ["2.2", "2.5", "2.6", "2.7", "3.1", "3.2", "3.3", "3.4", "4.1", "4.4"]


def use(none: int = 0, few: int = 0, several: int = 0, daily: int = 0) -> dict[str, int]:
    """A tally of the usage question."""
    counts = {"none": none, "few": few, "several": several, "daily": daily}
    return {key: n for key, n in counts.items() if n}


def rnd(
    weeks_ago: int = 0,
    *,
    freq: dict[str, int] | None = None,
    lead: str | None = "daily",
    sponsor: str | None = "several",
    go_to: dict[str, int] | None = None,
    paste: dict[str, int] | None = None,
    closed: bool = True,
    tool_users: int | None = None,
    **answers: dict[str, int],
) -> RoundStats:
    """One weekly round, healthy unless told otherwise, on the Monday `weeks_ago` weeks back.

    Every single-choice tally is one answer per person; the tools question, a multi-select, was
    answered by `tool_users` people (by default the AI users, or the most-named tool's count).
    """
    freq = HEALTHY_USE if freq is None else freq
    roles = {"ai_lead": lead, "executive_sponsor": sponsor}
    tallies = {"ai_frequency": freq, **HEALTHY_ANSWERS, **answers}
    people = {q: sum(t.values()) for q, t in tallies.items()}
    tools = tallies["ai_tools"]
    users = sum(n for k, n in freq.items() if k != "none")
    people["ai_tools"] = (
        (max(max(tools.values()), min(users, sum(tools.values()))) if tools else 0)
        if tool_users is None
        else tool_users
    )
    return RoundStats(
        local_date=THIS_MONDAY - timedelta(weeks=weeks_ago),
        closed=closed,
        invited=sum(freq.values()) + 2,
        respondents=sum(freq.values()),
        answers=tallies,
        answerers=people,
        go_to=HEALTHY_GO_TO if go_to is None else go_to,
        role_usage={role: level for role, level in roles.items() if level},
        confidential={"confidential_paste": HEALTHY_PASTE if paste is None else paste},
    )


def weeks(n: int, **kw) -> tuple[RoundStats, ...]:
    """`n` identical weekly rounds, oldest first, the last one this week."""
    return tuple(rnd(weeks_ago, **kw) for weeks_ago in reversed(range(n)))


def team(*rounds: RoundStats, day: int | None = 200, **kw) -> TeamSnapshot:
    """A team on day `day` of its rollout (None: no start set), named roles and all."""
    fields = {"min_group_size": 5, "member_count": 12, "roles": ROLES, **kw}
    start = None if day is None else NOW.date() - timedelta(days=day)
    return TeamSnapshot(now=NOW, rollout_start=start, rounds=rounds, **fields)


def workflow(name: str = "Proposal drafts", **kw) -> Workflow:
    """A workflow shipped a month ago, measured and used by its owner, unless told otherwise."""
    fields = {
        "owner_user_id": OWNER,
        "shipped_on": NOW.date() - timedelta(days=30),
        "minutes_before": 90,
        "minutes_after": 30,
        "owner_uses_it": True,
        **kw,
    }
    return Workflow(name=name, **fields)


def check_ins(*answered: bool, shipped: bool | None = True) -> tuple[CheckIn, ...]:
    """Weekly check-ins, oldest first, the last one this week."""
    return tuple(
        CheckIn(
            week_of=THIS_MONDAY - timedelta(weeks=len(answered) - 1 - i),
            answered=a,
            on_track=True if a else None,
            shipped_something=shipped if a else None,
        )
        for i, a in enumerate(answered)
    )


def healthy(**kw) -> TeamSnapshot:
    """Six good weeks, a measured workflow in use, an owner who answers every check-in."""
    fields = {"workflows": (workflow(),), "check_ins": check_ins(*[True] * 6), **kw}
    return team(*weeks(6), **fields)


def small(**kw) -> TeamSnapshot:
    """A team of 4 answering every round, below its minimum group size of 5, in a bad way."""
    answers = {
        "freq": use(none=1, few=1, several=1, daily=1),
        "go_to": {LEAD: 4},
        "paste": {"yes": 4},
        "ai_tools": {"chatgpt": 3},
        "prompt_source": {"generic": 4},
        "training_fit": {"generic": 4},
        "output_problems": {"repeatedly": 4},
        "whats_in_it": {"worried": 4},
    }
    # first_heard is asked once per person: the same 4 answer it once, in the first round.
    rounds = (rnd(5, first_heard={"slack": 4}, **answers), *weeks(5, first_heard={}, **answers))
    return team(*rounds, **kw)


def run(mode_id: str, snapshot: TeamSnapshot) -> Finding:
    """One mode's finding from the whole engine."""
    found = diagnose(snapshot).finding(mode_id)
    assert found is not None
    return found


# Quiet on a healthy team, patient with too little data


@pytest.mark.parametrize("mode_id", SIGNAL_MODES)
def test_every_signal_rule_is_quiet_on_a_healthy_team(mode_id: str) -> None:
    found = RULES[mode_id](healthy())
    assert found.status is Status.OK, found.evidence
    assert found.mode_id == mode_id and found.source is Source.SIGNAL


@pytest.mark.parametrize("mode_id", AGGREGATE_MODES)
def test_no_aggregate_rule_reads_a_team_below_its_minimum_group_size(mode_id: str) -> None:
    found = RULES[mode_id](small())
    assert found.status is Status.NOT_ENOUGH_DATA
    assert found.evidence.startswith("Not enough answers to that question yet")
    assert GROUP_TEXT in found.evidence
    # No count from the 4 who answered: only the floor and the round's date carry digits.
    assert "4" not in found.evidence.replace("2026-", "")
    assert found.sample == 0 and found.confidence == 0.0


@pytest.mark.parametrize("mode_id", SIGNAL_MODES)
def test_no_rule_fires_or_fails_on_a_team_with_no_data_at_all(mode_id: str) -> None:
    bare = TeamSnapshot(
        now=NOW, rollout_start=None, min_group_size=5, member_count=0, roles={}, rounds=()
    )
    found = RULES[mode_id](bare)
    expected = Status.DETECTED if mode_id == "1.1" else Status.NOT_ENOUGH_DATA
    assert found.status is expected


def test_a_larger_minimum_group_size_needs_more_answers() -> None:
    found = RULES["2.6"](healthy(min_group_size=12))
    assert found.evidence == (
        "Not enough answers to that question yet. "
        "The team's minimum group size is 12; smaller groups are never reported."
    )
    assert found.sample == 0 and found.confidence == 0.0


def test_a_rule_minimum_above_the_floor_still_quotes_the_answers() -> None:
    found = RULES["2.6"](team(*weeks(1, prompt_source={"own": 4}), min_group_size=3))
    assert found.evidence == "Not enough answers yet: 4 of the 5 needed."
    assert found.sample == 4


def test_open_rounds_are_not_evidence() -> None:
    snapshot = team(rnd(2), rnd(1), rnd(0, paste={"yes": 3, "no": 7}, closed=False))
    assert RULES["3.4"](snapshot).status is Status.OK


# 1.1 No named owner


def test_a_team_with_no_named_owner_raises_1_1() -> None:
    found = RULES["1.1"](healthy(roles={"ai_lead": (LEAD,)}))
    assert found.status is Status.DETECTED
    assert found.evidence == "Nobody is named as the rollout's owner."


def test_an_owner_who_answers_1_of_4_check_ins_raises_1_1() -> None:
    found = RULES["1.1"](healthy(check_ins=check_ins(True, True, False, True, False, False)))
    assert found.status is Status.DETECTED
    assert found.evidence == "The owner answered 1 of the last 4 weekly check-ins."
    assert found.severity == 3


def test_an_owner_who_misses_2_of_4_check_ins_is_watched_for_1_1() -> None:
    found = RULES["1.1"](healthy(check_ins=check_ins(True, False, True, False)))
    assert found.status is Status.WATCH
    assert found.evidence == "The owner answered 2 of the last 4 weekly check-ins."


def test_three_missed_check_ins_are_too_few_to_judge_1_1() -> None:
    found = RULES["1.1"](healthy(check_ins=check_ins(False, False, False)))
    assert found.status is Status.OK
    assert "3 weekly check-ins sent so far; 4 are needed" in found.evidence


# 2.1 No shipped workflow


def test_2_1_cannot_fire_before_day_30() -> None:
    assert RULES["2.1"](team(*weeks(2), day=29, workflows=())).status is Status.OK
    found = RULES["2.1"](team(*weeks(2), day=12, workflows=()))
    assert found.status is Status.OK
    assert (
        found.evidence
        == "Day 12 of 30: a first workflow is not due yet. 0 workflows shipped so far."
    )


def test_nothing_shipped_by_day_30_raises_2_1() -> None:
    planned = workflow(shipped_on=None)
    found = RULES["2.1"](team(*weeks(2), day=30, workflows=(planned,)))
    assert found.status is Status.DETECTED
    assert found.evidence == "Day 30, and nothing in the registry has shipped (1 workflow listed)."


def test_a_workflow_shipping_after_now_does_not_count_for_2_1() -> None:
    later = workflow(shipped_on=NOW.date() + timedelta(days=3))
    assert RULES["2.1"](team(*weeks(2), day=40, workflows=(later,))).status is Status.DETECTED


def test_without_a_registry_check_ins_saying_nothing_shipped_raise_2_1() -> None:
    found = RULES["2.1"](
        team(*weeks(2), day=45, check_ins=check_ins(True, False, True, shipped=False))
    )
    assert found.status is Status.DETECTED
    assert found.evidence == "Day 45, and every answered check-in (2) says nothing has shipped."


def test_2_1_needs_a_registry_or_a_check_in_and_a_start_date() -> None:
    assert RULES["2.1"](team(*weeks(2), day=45)).status is Status.NOT_ENOUGH_DATA
    found = RULES["2.1"](team(*weeks(2), day=None, workflows=()))
    assert found.status is Status.NOT_ENOUGH_DATA
    assert "No rollout start date is set" in found.evidence


# 2.2 Only the AI lead uses the tools


def test_only_the_lead_using_tools_raises_2_2() -> None:
    found = RULES["2.2"](team(*weeks(2, freq=use(none=8, daily=1), lead="daily")))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "Last 2 rounds: 1 of 9 respondents used AI tools — the AI lead, daily. "
        "The lead accounts for 100% of reported use."
    )
    assert found.individual is True
    assert found.severity == 1.0
    assert found.sample == 9


def test_2_2_tells_two_different_rounds_apart() -> None:
    rounds = (
        rnd(1, freq=use(none=9, daily=1)),
        rnd(0, freq=use(none=8, few=1, several=1), lead="several"),
    )
    found = RULES["2.2"](team(*rounds))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "Last 2 rounds: 1 of 10, then 2 of 10 respondents used AI tools — the AI lead, daily, "
        "then several times, and 0, then 1 others. The lead accounts for 100%, then 75% of "
        "reported use."
    )
    assert found.severity == 0.75


def test_a_lead_with_two_followers_in_ten_is_watched_for_2_2() -> None:
    found = RULES["2.2"](team(*weeks(2, freq=use(none=7, few=2, daily=1))))
    assert found.status is Status.WATCH
    assert "and 2 others" in found.evidence


def test_a_lead_who_uses_ai_only_once_or_twice_is_watched_not_detected_for_2_2() -> None:
    found = RULES["2.2"](team(*weeks(2, freq=use(none=8, few=1), lead="few")))
    assert found.status is Status.WATCH
    assert "the AI lead, once or twice" in found.evidence


def test_a_team_where_nobody_uses_ai_is_not_a_lead_only_team_for_2_2() -> None:
    found = RULES["2.2"](team(*weeks(2, freq=use(none=9), lead="none")))
    assert found.status is Status.OK
    assert (
        found.evidence == "Last 2 rounds: 0 of 8 respondents other than the AI lead used AI tools."
    )


def test_a_round_below_the_group_size_keeps_2_2_waiting() -> None:
    rounds = (rnd(1, freq=use(none=3, daily=1)), rnd(0, freq=use(none=8, daily=1)))
    found = RULES["2.2"](team(*rounds))
    assert found.status is Status.NOT_ENOUGH_DATA
    assert (
        found.evidence
        == f"Not enough answers to that question yet in the round of 2026-05-25. {GROUP_TEXT}"
    )


def test_2_2_waits_for_the_leads_own_answer() -> None:
    rounds = (rnd(1, freq=use(none=8, daily=1)), rnd(0, freq=use(none=9), lead=None))
    found = RULES["2.2"](team(*rounds))
    assert found.status is Status.NOT_ENOUGH_DATA
    assert found.evidence == (
        "No usage answer from the AI lead in the round of 2026-06-01 was given under the pulse's "
        f"notice that it is read for the role. {UNNOTICED}"
    )
    assert (
        RULES["2.2"](team(*weeks(2), roles={"owner": (OWNER,)})).evidence == "No AI lead is named."
    )


# 2.3 The executive sponsor does not use AI


def test_a_sponsor_who_never_uses_ai_raises_2_3() -> None:
    found = RULES["2.3"](
        team(rnd(2, sponsor="daily"), rnd(1, sponsor="none"), rnd(0, sponsor="none"))
    )
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "The executive sponsor reported no AI use in the last 2 rounds they answered "
        "(2026-05-25 and 2026-06-01)."
    )
    assert found.individual is True
    assert found.severity == 0.667


def test_rounds_the_sponsor_skipped_do_not_count_for_2_3() -> None:
    rounds = (rnd(2, sponsor="none"), rnd(1, sponsor=None), rnd(0, sponsor="none"))
    assert RULES["2.3"](team(*rounds)).status is Status.DETECTED


@pytest.mark.parametrize(
    ("levels", "status"),
    [
        (("few", "few"), Status.WATCH),
        (("none", "daily"), Status.WATCH),
        (("daily", "few"), Status.OK),
        (("several", "daily"), Status.OK),
    ],
)
def test_a_sponsor_who_uses_ai_little_is_watched_for_2_3(
    levels: tuple[str, str], status: Status
) -> None:
    found = RULES["2.3"](team(rnd(1, sponsor=levels[0]), rnd(0, sponsor=levels[1])))
    assert found.status is status


def test_the_sponsors_use_reads_as_they_answered_for_2_3() -> None:
    found = RULES["2.3"](team(rnd(1, sponsor="none"), rnd(0, sponsor="few")))
    assert found.evidence == (
        "The executive sponsor's own use in the last 2 rounds they answered: not at all, "
        "then once or twice."
    )


def test_2_3_waits_for_two_answers_and_a_named_sponsor() -> None:
    found = RULES["2.3"](team(rnd(1, sponsor=None), rnd(0, sponsor="none")))
    assert found.status is Status.NOT_ENOUGH_DATA
    assert found.evidence == (
        "Not enough answers yet: 1 of the 2 needed from the executive sponsor, given under the "
        f"pulse's notice that they are read for the role. {UNNOTICED}"
    )
    unnamed = RULES["2.3"](team(*weeks(2, sponsor="none"), roles={"owner": (OWNER,)}))
    assert unnamed.status is Status.NOT_ENOUGH_DATA
    assert unnamed.evidence == "No executive sponsor is named."


# 2.4 No baseline measurement


def test_shipped_workflows_without_a_baseline_raise_2_4() -> None:
    found = RULES["2.4"](
        healthy(workflows=(workflow(minutes_before=None), workflow("Triage", minutes_before=None)))
    )
    assert found.status is Status.DETECTED
    assert found.evidence.startswith("2 shipped workflows and not one baseline")


def test_one_unmeasured_workflow_of_two_is_watched_for_2_4() -> None:
    found = RULES["2.4"](healthy(workflows=(workflow(), workflow("Triage", minutes_before=None))))
    assert found.status is Status.WATCH
    assert found.evidence == "1 of 2 shipped workflows have no baseline."


def test_2_4_needs_the_registry_and_a_shipped_workflow() -> None:
    assert RULES["2.4"](team(*weeks(2))).status is Status.NOT_ENOUGH_DATA
    assert (
        RULES["2.4"](team(*weeks(2), workflows=(workflow(shipped_on=None),))).status
        is Status.NOT_ENOUGH_DATA
    )


# 2.5 Team learned via Slack


def test_a_team_that_learned_via_slack_raises_2_5_across_rounds() -> None:
    rounds = (
        rnd(1, first_heard={"slack": 3, "kickoff": 2}),
        rnd(0, first_heard={"not_heard": 2, "manager": 3}),
    )
    found = RULES["2.5"](team(*rounds))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "3 of 10 people first heard of the rollout from a Slack message and 2 had not heard "
        "of it (50%)."
    )
    assert found.severity == 0.5


def test_a_quarter_learning_via_slack_is_watched_for_2_5() -> None:
    found = RULES["2.5"](team(rnd(0, first_heard={"slack": 3, "kickoff": 9})))
    assert found.status is Status.WATCH


# 2.6 Generic prompts, 2.7 Trained on capability


@pytest.mark.parametrize(
    ("mode_id", "question", "good", "words"),
    [
        (
            "2.6",
            "prompt_source",
            "own",
            "said their prompts are generic templates or that they use none",
        ),
        (
            "2.7",
            "training_fit",
            "yes",
            "said their AI training was generic or that they have had none",
        ),
    ],
)
def test_generic_prompts_and_training_raise_2_6_and_2_7(
    mode_id: str, question: str, good: str, words: str
) -> None:
    found = RULES[mode_id](team(rnd(1), rnd(0, **{question: {"generic": 4, "none": 2, good: 4}})))
    assert found.status is Status.DETECTED
    assert found.evidence == f"6 of 10 {words} (60%), in the round of 2026-06-01."
    watched = RULES[mode_id](team(rnd(0, **{question: {"generic": 3, good: 7}})))
    assert watched.status is Status.WATCH
    assert RULES[mode_id](team(rnd(0, **{question: {"generic": 2, good: 8}}))).status is Status.OK


def test_a_too_small_latest_round_falls_back_to_the_last_one_large_enough() -> None:
    rounds = (rnd(1, prompt_source={"generic": 6, "own": 4}), rnd(0, prompt_source={"own": 3}))
    found = RULES["2.6"](team(*rounds))
    assert found.status is Status.DETECTED
    assert found.evidence.endswith("in the round of 2026-05-25.")


# 3.1 Tool sprawl


def test_many_tools_and_no_main_one_raise_3_1() -> None:
    tools = {"chatgpt": 3, "claude": 3, "copilot": 2, "gemini": 2, "other": 1}
    found = RULES["3.1"](team(rnd(0, ai_tools=tools)))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "8 people named 5 tools, and the most named reached 3 of them (38%), "
        "in the round of 2026-06-01."
    )
    assert found.severity == 5


def test_three_tools_and_no_main_one_are_watched_for_3_1() -> None:
    found = RULES["3.1"](team(rnd(0, ai_tools={"chatgpt": 3, "claude": 3, "copilot": 2})))
    assert found.status is Status.WATCH


# 3.2 Quality drift


def test_problems_reaching_customers_raise_3_2() -> None:
    found = RULES["3.2"](team(rnd(0, output_problems={"once": 1, "repeatedly": 1, "no": 8})))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "2 of 10 have seen problems in AI output reach a customer or a colleague (20%), "
        "1 of them more than once, in the round of 2026-06-01."
    )


def test_one_repeated_problem_is_watched_for_3_2() -> None:
    found = RULES["3.2"](team(rnd(0, output_problems={"repeatedly": 1, "no": 11})))
    assert found.status is Status.WATCH


# 3.3 Resistance not diagnosed


def test_worry_with_flat_use_raises_3_3() -> None:
    uneasy = {"worried": 2, "burden": 2, "helps": 6}
    found = RULES["3.3"](team(rnd(3), rnd(2), rnd(1), rnd(0, whats_in_it=uneasy)))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "4 of 10 said they worry about their job or that AI is extra work for little gain (40%), "
        "in the round of 2026-06-01. Use has not grown: 80% of respondents used AI tools on "
        "2026-06-01, against 80% on 2026-05-11."
    )


def test_worry_while_use_grows_is_only_watched_for_3_3() -> None:
    earlier = [rnd(w, freq=use(none=5, few=5)) for w in (3, 2, 1)]
    found = RULES["3.3"](team(*earlier, rnd(0, whats_in_it={"worried": 4, "helps": 6})))
    assert found.status is Status.WATCH
    assert (
        "Use is growing: 80% of respondents used AI tools on 2026-06-01, against 50%"
        in found.evidence
    )


def test_worry_without_enough_rounds_is_only_watched_for_3_3() -> None:
    found = RULES["3.3"](team(rnd(0, whats_in_it={"burden": 5, "helps": 5})))
    assert found.status is Status.WATCH
    assert found.evidence.endswith("Too few rounds yet to tell whether use is growing.")


# 3.4 Data leakage


def test_anyone_pasting_confidential_data_raises_3_4_without_naming_them() -> None:
    found = RULES["3.4"](team(*weeks(1, paste={"yes": 2, "no": 8, "unsure": 1})))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "2 of 11 people (confidential) said they pasted confidential data into a tool that is "
        "not approved, in the round of 2026-06-01."
    )
    assert found.severity == 2
    assert not any(who in found.evidence for who in (OWNER, LEAD, CEO, "U1"))
    assert found.individual is False


def test_many_unsure_about_confidential_data_are_watched_for_3_4() -> None:
    found = RULES["3.4"](team(*weeks(1, paste={"no": 6, "unsure": 4})))
    assert found.status is Status.WATCH
    assert "4 were not sure what counts (40%)" in found.evidence


def test_a_yes_in_a_group_below_the_minimum_is_never_reported_for_3_4() -> None:
    found = RULES["3.4"](team(*weeks(1, paste={"yes": 1, "no": 3})))
    assert found.status is Status.NOT_ENOUGH_DATA
    assert found.evidence == TOO_FEW


# 3.5 Workflows owned by the wrong person


def test_a_workflow_owner_who_does_not_use_it_raises_3_5() -> None:
    found = RULES["3.5"](healthy(workflows=(workflow(), workflow("Triage", owner_uses_it=False))))
    assert found.status is Status.DETECTED
    assert (
        found.evidence
        == "1 of 2 shipped workflows are owned by someone who does not use them: Triage."
    )


def test_3_5_needs_an_owner_whose_use_is_known() -> None:
    assert RULES["3.5"](healthy(workflows=None)).status is Status.NOT_ENOUGH_DATA
    unknown = healthy(workflows=(workflow(owner_uses_it=None),))
    assert RULES["3.5"](unknown).status is Status.NOT_ENOUGH_DATA
    assert RULES["3.5"](unknown).evidence == (
        "No shipped workflow's owner has a usage answer given under the pulse's notice that it "
        f"is read for their workflow. {UNNOTICED}"
    )


def test_3_5_says_how_many_workflows_it_could_not_count() -> None:
    found = RULES["3.5"](healthy(workflows=(workflow(), workflow("Triage", owner_uses_it=None))))
    assert found.status is Status.OK
    assert found.evidence == (
        "The owners of all 1 shipped workflows use them. 1 more not counted: no usage answer "
        "from the owner under the pulse's workflow-owner notice."
    )


# 4.1 Knowledge in one head


def test_everyone_going_to_the_ai_lead_raises_4_1() -> None:
    found = RULES["4.1"](team(*weeks(1, go_to={LEAD: 6, "U1": 1, "U2": 1})))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "6 of 8 who named someone go to the same person (the AI lead), in the round of 2026-06-01."
    )
    assert found.severity == 0.75


def test_4_1_never_names_a_person_who_holds_no_role() -> None:
    found = RULES["4.1"](team(*weeks(1, go_to={"U9SECRET": 5, "U1": 1, "U2": 2})))
    assert found.status is Status.DETECTED
    assert (
        found.evidence == "5 of 8 who named someone go to one person, in the round of 2026-06-01."
    )
    assert "U9SECRET" not in found.evidence


def test_4_1_waits_for_enough_people_naming_someone() -> None:
    found = RULES["4.1"](team(*weeks(1, go_to={LEAD: 4})))
    assert (
        found.evidence
        == f"Not enough answers to that question yet in the round of 2026-06-01. {GROUP_TEXT}"
    )


def test_4_1_reads_the_registry_too() -> None:
    mine = tuple(workflow(name=f"W{i}", owner_user_id="U9SOLO") for i in range(3))
    theirs = (workflow(name="Other", owner_user_id="U1"),)
    # The pulse detects: the registry adds its count, naming nobody.
    detected = RULES["4.1"](
        team(*weeks(1, go_to={LEAD: 6, "U1": 1, "U2": 1}), workflows=mine + theirs)
    )
    assert detected.status is Status.DETECTED
    assert detected.evidence.endswith(
        "3 of 4 shipped workflows in the registry are owned by one person."
    )
    assert "U9SOLO" not in detected.evidence
    # The pulse is fine, or too thin: one owner for most workflows is a watch on its own.
    spread = weeks(1, go_to={LEAD: 2, "U1": 2, "U2": 2, "U3": 2})
    assert RULES["4.1"](team(*spread, workflows=mine)).status is Status.WATCH
    thin = RULES["4.1"](team(*weeks(1, go_to={LEAD: 1}), workflows=mine))
    assert thin.status is Status.WATCH and thin.sample == 3
    # Two of three, or fewer than three shipped, is not enough.
    assert RULES["4.1"](team(*spread, workflows=mine[:2])).status is Status.OK
    others = (workflow(name="X", owner_user_id="U1"), workflow(name="Y", owner_user_id="U2"))
    mixed = (*mine[:2], *others)
    assert RULES["4.1"](team(*spread, workflows=mixed)).status is Status.OK


# 4.4 Vendor lock-in


def test_one_tool_for_everyone_is_only_ever_watched_for_4_4() -> None:
    found = run("4.4", team(*weeks(2, ai_tools={"chatgpt": 8}), day=400))
    assert found.status is Status.WATCH
    assert "Whether that is lock-in is the owner's call" in found.evidence
    assert "(8 of 8)" in found.evidence


def test_an_owner_mark_turns_4_4_into_a_detection() -> None:
    marked = team(*weeks(2, ai_tools={"chatgpt": 8}), marks={"4.4": Mark(True, date(2026, 5, 20))})
    found = run("4.4", marked)
    assert found.status is Status.DETECTED
    assert found.source is Source.SELF_ASSESSMENT


# Stages


@pytest.mark.parametrize(
    ("day", "stages"),
    [
        (None, {1}),
        (-5, {1}),
        (0, {1, 2}),
        (29, {1, 2}),
        (30, {1, 2, 3}),
        (149, {1, 2, 3}),
        (150, {1, 2, 3, 4}),
    ],
)
def test_the_rollout_day_decides_which_stages_are_live(day: int | None, stages: set[int]) -> None:
    snapshot = team(day=day)
    assert live_stages(snapshot) == stages
    assert diagnose(snapshot).live_stages == stages


def test_a_stage_4_rule_before_day_150_is_at_most_watch() -> None:
    pattern = weeks(1, go_to={LEAD: 6, "U1": 2})
    early = RULES["4.1"](team(*pattern, day=149))
    assert early.status is Status.WATCH
    assert early.evidence.endswith("Stage 4 counts from day 150; this is day 149.")
    assert RULES["4.1"](team(*pattern, day=150)).status is Status.DETECTED


def test_a_stage_3_rule_before_day_30_is_at_most_watch() -> None:
    found = RULES["3.4"](team(*weeks(1, paste={"yes": 1, "no": 9}), day=20))
    assert found.status is Status.WATCH
    assert found.evidence.endswith("Stage 3 counts from day 30; this is day 20.")


def test_before_a_rollout_start_only_stage_1_can_be_detected() -> None:
    found = RULES["2.2"](team(*weeks(2, freq=use(none=8, daily=1)), day=None))
    assert found.status is Status.WATCH
    assert found.evidence.endswith(
        "Stage 2 counts from the rollout start, and the rollout has not started."
    )
    assert RULES["1.1"](team(day=None, roles={})).status is Status.DETECTED


# The engine: every mode, since, cleared


def test_the_diagnosis_has_one_finding_per_mode_in_atlas_order() -> None:
    diagnosis = diagnose(healthy())
    assert [f.mode_id for f in diagnosis.findings] == [m.id for m in MODES]
    assert [f.stage for f in diagnosis.findings] == [m.stage for m in MODES]
    assert diagnosis.detected() == () and not diagnosis.recovery_needed


def test_since_is_the_first_round_of_the_current_run_of_detections() -> None:
    leak = {"yes": 1, "no": 9}
    rounds = (
        rnd(5, paste=leak),
        rnd(4, paste=leak),
        rnd(3),
        rnd(2, paste=leak),
        rnd(1, paste=leak),
        rnd(0, paste=leak),
    )
    found = run("3.4", team(*rounds))
    assert found.status is Status.DETECTED
    assert found.since == date(2026, 5, 18)


def test_since_counts_from_the_round_a_stage_went_live() -> None:
    leak = {"yes": 1, "no": 9}
    # Day 33 now: the rounds of days 22 and 29 came before stage 3 went live on day 30.
    found = run("3.4", team(*weeks(2, paste=leak), day=33))
    assert found.status is Status.DETECTED
    assert found.since == NOW.date()


def test_a_pattern_gone_since_the_previous_round_is_cleared() -> None:
    leak = {"yes": 1, "no": 9}
    found = run("3.4", team(rnd(2, paste=leak), rnd(1, paste=leak), rnd(0)))
    assert found.status is Status.CLEARED
    assert found.evidence.startswith("Detected as of the previous round, no longer. None of 10")


def test_shipping_a_first_workflow_clears_2_1() -> None:
    shipped_wednesday = workflow(shipped_on=date(2026, 6, 3))
    found = run("2.1", team(*weeks(2), day=60, workflows=(shipped_wednesday,)))
    assert found.status is Status.CLEARED


def test_too_little_data_now_is_not_a_clearance() -> None:
    lead_only = use(none=8, daily=1)
    rounds = (rnd(2, freq=lead_only), rnd(1, freq=lead_only), rnd(0, freq=use(none=2, daily=1)))
    assert run("2.2", team(*rounds)).status is Status.NOT_ENOUGH_DATA


# Self-assessment marks


@pytest.mark.parametrize("mode_id", SELF_ASSESSED)
def test_a_mode_with_no_signal_asks_for_a_mark(mode_id: str) -> None:
    found = run(mode_id, healthy())
    assert found.status is Status.NOT_ENOUGH_DATA
    assert found.source is Source.SELF_ASSESSMENT
    assert "mark it in /atlas check" in found.evidence


def test_a_mark_detects_a_mode_whatever_the_day() -> None:
    mark = Mark(True, date(2026, 5, 20), note="We ship one workflow before hiring anyone.")
    found = run("4.2", team(day=10, marks={"4.2": mark}))
    assert found.status is Status.DETECTED
    assert found.source is Source.SELF_ASSESSMENT
    assert found.evidence == (
        "Marked by the owner on 2026-05-20. Their note: We ship one workflow before hiring anyone."
    )
    assert found.since == date(2026, 5, 20)


def test_a_not_applicable_mark_settles_a_self_assessed_mode() -> None:
    found = run("1.7", healthy(marks={"1.7": Mark(False, date(2026, 5, 20))}))
    assert found.status is Status.OK
    assert found.evidence == "Marked not applicable by the owner on 2026-05-20."


def test_a_mark_overrides_a_weaker_signal() -> None:
    snapshot = healthy(
        check_ins=check_ins(True, False, True, False), marks={"1.1": Mark(True, date(2026, 5, 20))}
    )
    found = run("1.1", snapshot)
    assert found.status is Status.DETECTED
    assert found.source is Source.SELF_ASSESSMENT


def test_not_applicable_never_outvotes_a_signal() -> None:
    found = run("1.1", healthy(roles={}, marks={"1.1": Mark(False, date(2026, 5, 20))}))
    assert found.status is Status.DETECTED
    assert found.source is Source.SIGNAL


# Recovery


def lead_only_and_silent_sponsor(**kw) -> TeamSnapshot:
    """Two stage-2 modes at once: only the lead uses AI, and the sponsor not at all."""
    return team(*weeks(3, freq=use(none=8, daily=1), sponsor="none"), **kw)


def test_two_modes_in_one_stage_need_recovery() -> None:
    diagnosis = diagnose(lead_only_and_silent_sponsor())
    assert {f.mode_id for f in diagnosis.detected()} == {"2.2", "2.3"}
    assert diagnosis.recovery_stages == (2,)
    assert diagnosis.recovery_plan == RECOVERY_STEPS


def test_one_mode_in_each_of_two_stages_needs_no_recovery() -> None:
    diagnosis = diagnose(
        healthy(
            roles={"ai_lead": (LEAD,), "executive_sponsor": (CEO,)},
            marks={"3.6": Mark(True, date(2026, 5, 20))},
        )
    )
    assert {f.mode_id for f in diagnosis.detected()} == {"1.1", "3.6"}
    assert diagnosis.recovery_stages == () and diagnosis.recovery_plan == ()


def window(days_ago: int, detected: int, share: float | None = 0.11) -> RecoveryWindow:
    """A recovery window opened `days_ago` days before NOW."""
    return RecoveryWindow(NOW.date() - timedelta(days=days_ago), (2,), detected, share)


def test_fewer_modes_at_day_60_is_an_improvement() -> None:
    check = diagnose(lead_only_and_silent_sponsor(recovery=window(60, detected=3))).recovery_check
    assert check is not None and check.improved and check.next_step is None
    assert check.day == 60
    assert check.summary == (
        "Day 60 of the recovery window: 2 modes detected, against 3 when it opened; "
        "11% of respondents use AI, against 11%."
    )


def test_use_up_10_points_at_day_60_is_an_improvement() -> None:
    check = diagnose(
        lead_only_and_silent_sponsor(recovery=window(61, detected=2, share=0.01))
    ).recovery_check
    assert check is not None and check.improved


def test_still_flat_at_day_60_hands_over_the_rollout() -> None:
    check = diagnose(
        lead_only_and_silent_sponsor(recovery=window(64, detected=2, share=0.02))
    ).recovery_check
    assert check is not None and not check.improved
    assert check.next_step == NEXT_STEP
    assert "new owner" in NEXT_STEP and "outside" in NEXT_STEP


def test_there_is_no_verdict_before_day_60() -> None:
    assert (
        diagnose(lead_only_and_silent_sponsor(recovery=window(59, detected=9))).recovery_check
        is None
    )
    assert diagnose(lead_only_and_silent_sponsor()).recovery_check is None


def test_usage_share_skips_rounds_below_the_group_size() -> None:
    snapshot = team(rnd(1, freq=use(none=5, few=5)), rnd(0, freq=use(daily=3)))
    assert usage_share(snapshot) == 0.5


# Speed


def test_a_year_of_rounds_is_diagnosed_well_under_10_ms() -> None:
    leak = {"yes": 1, "no": 9}
    no_owner = {"ai_lead": (LEAD,), "executive_sponsor": (CEO,)}
    rounds = weeks(52, freq=use(none=8, daily=1), sponsor="none", paste=leak)
    snapshot = team(*rounds, roles=no_owner)
    assert len(diagnose(snapshot).detected()) >= 4
    best = min(_timed(snapshot) for _ in range(5))
    assert best < 0.010, f"{best * 1000:.1f} ms"


def _timed(snapshot: TeamSnapshot) -> float:
    start = time.perf_counter()
    diagnose(snapshot)
    return time.perf_counter() - start


# The floor per question: a round above the floor, a question below it


SIX = use(several=3, daily=3)  # 6 respondents, all using AI, floor 5
FOUR_TOOLS = {"chatgpt": 2, "claude": 2, "copilot": 2, "gemini": 2}


@pytest.mark.parametrize("answered", [1, 2])
def test_tools_named_by_fewer_than_the_floor_are_no_data_for_3_1_and_4_4(answered: int) -> None:
    # Two people naming four tools each: 8 mentions among 6 AI users once looked like 6 people.
    tools = {key: min(n, answered) for key, n in FOUR_TOOLS.items()}
    snapshot = team(*weeks(2, freq=SIX, ai_tools=tools, tool_users=answered), day=400)
    for mode_id in ("3.1", "4.4"):
        found = RULES[mode_id](snapshot)
        assert found.status is Status.NOT_ENOUGH_DATA, found.evidence
        assert found.evidence.startswith("Not enough answers to that question yet")
        assert re.findall(r"\d+", re.sub(r"\d{4}-\d\d-\d\d", "", found.evidence)) == ["5"]
        assert found.sample == 0 and found.confidence == 0.0
    found = diagnose(snapshot).finding("3.1")
    assert found is not None and found.status is Status.NOT_ENOUGH_DATA


def test_tools_named_by_the_floor_still_raise_3_1() -> None:
    tools = {"chatgpt": 2, "claude": 2, "copilot": 1, "gemini": 1}
    found = RULES["3.1"](team(rnd(0, freq=SIX, ai_tools=tools, tool_users=5)))
    assert found.status is Status.DETECTED
    assert found.evidence == (
        "5 people named 4 tools, and the most named reached 2 of them (40%), in the round of "
        "2026-06-01."
    )


def test_one_tool_named_by_the_floor_is_still_watched_for_4_4() -> None:
    found = RULES["4.4"](team(*weeks(2, freq=SIX, ai_tools={"chatgpt": 5}, tool_users=5)))
    assert found.status is Status.WATCH and "(5 of 5)" in found.evidence


def test_a_rotating_question_below_the_floor_falls_back_to_the_last_round_above_it() -> None:
    rounds = (rnd(1), rnd(0, freq=SIX, prompt_source={"generic": 2}))
    found = RULES["2.6"](team(*rounds))
    assert found.status is Status.OK and found.evidence.endswith("in the round of 2026-05-25.")
    alone = RULES["2.6"](team(rnd(0, freq=SIX, prompt_source={"generic": 2})))
    assert alone.status is Status.NOT_ENOUGH_DATA and "2" not in alone.evidence


def test_first_heard_rounds_below_the_floor_do_not_add_up_for_2_5() -> None:
    rounds = (rnd(1, first_heard={"slack": 2}), rnd(0, first_heard={"slack": 2, "kickoff": 1}))
    found = RULES["2.5"](team(*rounds))
    assert found.status is Status.NOT_ENOUGH_DATA and found.evidence == TOO_FEW
    counted = RULES["2.5"](team(rnd(1, first_heard={"slack": 2}), rnd(0)))
    assert counted.evidence.startswith("1 of 10 people")  # the round of 2 is left out


def test_a_confidential_yes_among_fewer_than_the_floor_is_not_told() -> None:
    found = RULES["3.4"](team(rnd(0, freq=SIX, paste={"yes": 1, "no": 1})))
    assert found.status is Status.NOT_ENOUGH_DATA and found.evidence == TOO_FEW
