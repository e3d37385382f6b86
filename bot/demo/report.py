"""What a demo run leaves behind: a plain-text transcript and a self-contained HTML report.

The transcript is week by week: what each person was asked and clicked, when they were
reminded, and the DMs the owner got from the app (alerts, notes, the weekly digest), rendered
from the blocks the app actually posted. It holds nothing that changes from run to run (no
paths, ports or timings), so the same seed gives the same transcript. The report draws the
weekly numbers as charts (matplotlib, Agg, embedded as base64 PNG) and ends with the findings.
"""

from __future__ import annotations

import base64
import html as html_lib
import io
from collections.abc import Iterable
from datetime import datetime, tzinfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from atlas import lookup
from atlas.diagnosis.model import Finding, Status
from atlas.modes import RECOVERY_STEPS
from atlas.questions import DEFAULT_TOOLS, OTHER_TOOL, question
from atlas.taxonomy import ATLAS_URL, ATTRIBUTION
from bot.demo.scenarios import USAGE_LEVELS, Seat
from bot.demo.simulate import TEAM_NAME, PulseLog, Record, WeekLog
from bot.scheduling.calendar import zone

USAGE_LABELS = {"none": "Not at all", "few": "Once or twice", "several": "Several times"}
USAGE_COLOURS = {"none": "#d9d9d9", "few": "#9ecae1", "several": "#4292c6", "daily": "#08519c"}
STATUS_ORDER = ("not_enough_data", "ok", "cleared", "watch", "detected")
STATUS_COLOURS = ("#f0f0f0", "#c7e9c0", "#9ecae1", "#fdd49e", "#ef6548")
STATUS_WORDS = {
    "detected": "detected",
    "watch": "watch",
    "cleared": "cleared",
    "ok": "clear",
    "not_enough_data": "not enough data",
}
NOTE_WORDS = {
    "alert": "alert",
    "worse": "alert (worse)",
    "cleared": "cleared",
    "recovery": "recovery plan",
    "digest": "weekly digest",
    "check-in": "weekly check-in",
    "note": "note",
}


# --- the transcript ----------------------------------------------------------------------------
def transcript(record: Record) -> str:
    """The whole run as plain text."""
    lines = _header(record)
    lines += ["", *_setup(record)]
    for week in record.weeks:
        lines += ["", *_week(record, week)]
    lines += ["", *_final(record)]
    lines += ["", *_commands(record)]
    lines += ["", *_homes(record)]
    clicks = record.clicks
    lines += [
        "",
        "How the answers got in",
        "-" * 22,
        f"{clicks.sent} clicks, each a signed block_actions request to the running app: "
        f"{clicks.answers} pulse answers, {clicks.office_hours} on office hours posts and "
        f"{clicks.sent - clicks.answers - clicks.office_hours} by the owner on alerts and "
        f"check-ins; and {clicks.modals} modals (setup, workflows) submitted as signed "
        f"view_submission requests. The app accepted {clicks.accepted} clicks and answered each "
        f"through its response_url ({clicks.replies} replies, {len(clicks.refused)} refusals). "
        "Nothing was written to the database but by the app.",
        "",
        f"Failure modes: {ATTRIBUTION} ({ATLAS_URL}).",
    ]
    return "\n".join(lines) + "\n"


def _header(record: Record) -> list[str]:
    scenario = record.scenario
    weeks = len(record.weeks)
    title = f"Adoption Atlas demo · {scenario.name}: {scenario.title}"
    lines = [
        title,
        "=" * len(title),
        scenario.story,
        "",
        f"Seed {record.seed} · {len(record.cast.seats)} people · {plural(weeks, 'week')} from "
        f"{record.start:%a %-d %b %Y} · rollout started {record.rollout_start:%a %-d %b %Y} · "
        f"minimum group size {record.min_group_size}",
        f"Team: {TEAM_NAME}; the owner's time zone is America/New_York, everyone gets the pulse "
        "at 10:00 in their own.",
        "",
        "People (how each one behaves in this run):",
    ]
    width = max(len(s.name) for s in record.cast.seats)
    for seat in record.cast.seats:
        profile = record.cast.profiles[seat.user_id]
        usual = "/".join(dict.fromkeys(USAGE_LABELS.get(u, u).lower() for u in profile.usage))
        tools = ", ".join(_tool(t) for t in profile.tools)
        helper = record.name(profile.go_to) if profile.go_to else "nobody in particular"
        lines.append(
            f"  {seat.name:<{width}}  {seat.title:<7}  {seat.city:<11}  answers about "
            f"{profile.respond:.0%} of pulses · uses AI {usual} · {tools} · asks {helper}"
        )
    return lines


def _tool(key: str) -> str:
    return dict(DEFAULT_TOOLS).get(key, "Other" if key == OTHER_TOOL else key)


def _week(record: Record, week: WeekLog) -> list[str]:
    live = ", ".join(str(s) for s in week.live_stages) or "none"
    day = f"rollout day {week.rollout_day}" if week.rollout_day is not None else "no rollout date"
    title = (
        f"Week {week.number} of {len(record.weeks)} · {week.local_date:%a %-d %b %Y} · {day} · "
        f"stages live: {live}"
    )
    lines = [title, "-" * len(title)]
    numbered = _numbering(week.pulses.values())
    lines.append("Questions:")
    for qid, (n, text) in numbered.items():
        note = " (confidential)" if (q := question(qid)) is not None and q.confidential else ""
        lines.append(f"  Q{n} {text}{note}")
    lines.append("Pulses (times are each person's own):")
    width = max(len(s.name) for s in record.cast.seats)
    for seat in record.cast.seats:
        pulse = week.pulses.get(seat.user_id)
        head = f"  {seat.name:<{width}}  "
        if pulse is None:
            lines.append(head + "no pulse")
            continue
        lines.append(head + _pulse_line(seat, pulse, numbered))
    owner_tz = zone(record.cast.owner.tz)
    if week.notes or week.owner_clicks:
        lines.append(f"The owner's DMs from the app, and what {record.cast.owner.name} did:")
    events = [(n.at, 0, i) for i, n in enumerate(week.notes)]
    events += [(at, 1, i) for i, (at, _) in enumerate(week.owner_clicks)]
    for at, kind, i in sorted(events):
        when = f"{at.astimezone(owner_tz):%a %-d %b %H:%M}"
        if kind == 1:
            lines.append(f"  {when} · {week.owner_clicks[i][1]}")
            continue
        note = week.notes[i]
        if note.kind == "check-in":  # the same two questions every week
            lines.append(f"  {when} · weekly check-in: is the rollout on track? shipped anything?")
            continue
        lines.append(f"  {when} · {NOTE_WORDS[note.kind]}")
        lines += ["      " + line for line in note.text.splitlines()]
    if week.office_hours:
        lines.append("Office hours (Thursday 15:00 New York, in #aihelp):")
        lines += [
            f"  {at.astimezone(owner_tz):%a %-d %b %H:%M} · {what}"
            for at, what in week.office_hours
        ]
    rate = f" ({week.answered / week.asked:.0%})" if week.asked else ""
    lines.append(
        f"The app's numbers: {week.asked} asked, {week.answered} answered{rate} · detected: "
        f"{', '.join(week.detected) or 'none'} · alerts: {', '.join(week.alerts) or 'none'}"
    )
    return lines


def _numbering(pulses: Iterable[PulseLog]) -> dict[str, tuple[int, str]]:
    """The week's questions, numbered in the order the DMs showed them."""
    numbered: dict[str, tuple[int, str]] = {}
    for pulse in pulses:
        for qid, text in pulse.questions:
            if qid not in numbered:
                numbered[qid] = (len(numbered) + 1, text)
    return numbered


def _pulse_line(seat: Seat, pulse: PulseLog, numbered: dict[str, tuple[int, str]]) -> str:
    tz = zone(seat.tz)
    asked = [numbered[qid][0] for qid, _ in pulse.questions]
    if asked == list(range(1, len(numbered) + 1)):
        which = f"Q1-Q{len(numbered)}"
    else:
        which = ", ".join(f"Q{n}" for n in asked)
    parts = [f"{seat.title:<7}  {seat.city:<11}  asked {which} {_at(pulse.sent_at, tz)}"]
    if pulse.reminded_at is not None:
        parts.append(f"reminded {_at(pulse.reminded_at, tz)}")
    if pulse.answered_at is None:
        parts.append("no answer")
    else:
        given = dict(pulse.answers)
        shown = []
        for qid, _ in pulse.questions:
            q = question(qid)
            if qid not in given:
                shown.append("–")
            elif q is not None and q.confidential:
                shown.append("(confidential)")
            else:
                shown.append(given[qid])
        parts.append(f"answered {_at(pulse.answered_at, tz)}: " + " | ".join(shown))
    return " · ".join(parts)


def _at(when: datetime, tz: tzinfo) -> str:
    return f"{when.astimezone(tz):%a %H:%M}"


def _final(record: Record) -> list[str]:
    after = f"after week {len(record.weeks)}"
    title = f"Where the team stands {after} (the owner's stored diagnosis)"
    lines = [title, "=" * len(title)]
    found = ", ".join(record.detected) or "none"
    meant = ", ".join(record.scenario.expected) or "none"
    lines.append(f"Detected from pulse signals: {found}. The scenario is meant to show: {meant}.")
    for finding in record.findings:
        lines += _finding_lines(finding)
    if record.final is not None and record.final.recovery_needed:
        stages = ", ".join(str(s) for s in record.final.recovery_stages)
        lines.append(f"Recovery needed (two or more modes in stage {stages}):")
        lines += [f"  {s.number}. {s.title}. {s.detail}" for s in RECOVERY_STEPS]
    return lines


def _finding_lines(finding: Finding) -> list[str]:
    mode = lookup.get(finding.mode_id)
    title = mode.title if mode else ""
    since = f", since {finding.since:%a %-d %b}" if finding.since else ""
    lines = [
        f"  {finding.mode_id} · {title} — {STATUS_WORDS[finding.status.value]} (stage "
        f"{finding.stage}; sample {finding.sample}, confidence {finding.confidence:.0%}{since})",
        f"      {finding.evidence}",
    ]
    if finding.status is Status.DETECTED and mode is not None:
        lines.append(f"      First move: {mode.first_move}")
    return lines


def _setup(record: Record) -> list[str]:
    title = "Setting up (the Friday before week 1)"
    return [title, "-" * len(title), *(f"  {line}" for line in record.setup)]


def _homes(record: Record) -> list[str]:
    title = "The app's Home tab at the end"
    lines = [title, "=" * len(title)]
    if record.charts:
        lines.append(
            f"The owner also got {plural(record.charts, 'trend chart')} in their DM with the "
            "weekly digest (a PNG uploaded with files_upload_v2)."
        )
    for seat, text in record.homes:
        lines += ["", f"As {seat.name} ({seat.title}) sees it:"]
        lines += ["    " + line for line in text.splitlines()]
    return lines


def _commands(record: Record) -> list[str]:
    title = "Try the /atlas command"
    lines = [title, "=" * len(title)]
    for seat, text, status, reply in record.commands:
        lines.append(f"> /atlas {text}    (typed by {seat.name}, {seat.title}; HTTP {status})")
        lines += ["    " + line for line in reply.splitlines()]
        lines.append("")
    return lines[:-1] if record.commands else lines


# --- the HTML report ---------------------------------------------------------------------------
def html(record: Record) -> str:
    """A self-contained HTML page: the run's numbers as charts, then the findings."""
    scenario = record.scenario
    weeks = record.weeks
    charts = [
        ("Weekly response rate", _png(_response_chart(record))),
        ("Share using AI, by how often, per week", _png(_usage_chart(record))),
        ("Failure modes per week (the stored diagnosis after each round closed)",
         _png(_modes_chart(record))),
    ]  # fmt: skip
    rows = "\n".join(
        f"<tr><td>{w.number}</td><td>{w.local_date.isoformat()}</td><td>{w.asked}</td>"
        f"<td>{w.answered}</td><td>{_pct(w.answered, w.asked)}</td>"
        f"<td>{_e(', '.join(w.detected) or '–')}</td><td>{_e(', '.join(w.alerts) or '–')}</td>"
        "</tr>"
        for w in weeks
    )
    verdict = "as intended" if record.as_intended else "not as intended"
    body = [
        f"<h1>Adoption Atlas demo · {_e(scenario.name)}</h1>",
        f"<p class='lead'><b>{_e(scenario.title)}.</b> {_e(scenario.story)}</p>",
        f"<p>{_e(TEAM_NAME)}: {len(record.cast.seats)} people, {plural(len(weeks), 'week')} from "
        f"{record.start:%-d %b %Y}; rollout started {record.rollout_start:%-d %b %Y}; seed "
        f"{record.seed}; minimum group size {record.min_group_size}.</p>",
        f"<p class='verdict'>Detected from pulse signals: "
        f"<b>{_e(', '.join(record.detected) or 'none')}</b> · the scenario is meant to show: "
        f"<b>{_e(', '.join(scenario.expected) or 'none')}</b> · {verdict}.</p>",
    ]
    for title, png in charts:
        body.append(
            f'<h2>{_e(title)}</h2><img src="data:image/png;base64,{png}" alt="{_e(title)}">'
        )
    body += [
        "<h2>Week by week</h2>",
        "<table><tr><th>Week</th><th>Date</th><th>Asked</th><th>Answered</th><th>Rate</th>"
        f"<th>Detected</th><th>Alerts</th></tr>\n{rows}</table>",
        f"<p class='small'>Who was asked what, week by week, and every DM the owner got: "
        f"{_e(scenario.name)}-transcript.txt, next to this file.</p>",
        "<h2>Findings</h2>",
        _findings_html(record),
        f"<p class='small'>Failure modes: {_e(ATTRIBUTION)} "
        f"(<a href='{_e(ATLAS_URL)}'>{_e(ATLAS_URL)}</a>). Every answer in this run was a signed "
        f"click on the running app ({record.clicks.answers} answers).</p>",
    ]
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Adoption Atlas demo · {_e(scenario.name)}</title><style>{_CSS}</style>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;"
    "color:#222;line-height:1.45}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}"
    "img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ddd;"
    "padding:.3em .6em;text-align:left}.finding{border-left:4px solid #ef6548;padding:.2em 1em;"
    "margin:1em 0;background:#fff7f3}.finding.watch{border-color:#fdae6b;background:#fffaf0}"
    ".small{font-size:.85em;color:#555}.verdict{font-size:1.05em}"
)


def _findings_html(record: Record) -> str:
    if record.final is None:
        return "<p>The diagnosis has not run yet.</p>"
    parts = []
    detected = [f for f in record.findings if f.status is Status.DETECTED]
    if not detected:
        parts.append("<p>No failure mode is detected.</p>")
    for finding in record.findings:
        mode = lookup.get(finding.mode_id)
        watch = finding.status is Status.WATCH
        since = f", since {finding.since:%-d %b}" if finding.since else ""
        move = "" if watch or mode is None else f"<p><b>First move:</b> {_e(mode.first_move)}</p>"
        parts.append(
            f"<div class='finding{' watch' if watch else ''}'>"
            f"<h3>{_e(finding.mode_id)} · {_e(mode.title if mode else '')} — "
            f"{STATUS_WORDS[finding.status.value]}</h3>"
            f"<p>{_e(finding.evidence)}</p>"
            f"<p class='small'>Stage {finding.stage} · sample {finding.sample} · confidence "
            f"{finding.confidence:.0%}{since} · source: {_e(finding.source.value)}</p>{move}</div>"
        )
    if record.final.recovery_needed:
        steps = "".join(f"<li><b>{_e(s.title)}.</b> {_e(s.detail)}</li>" for s in RECOVERY_STEPS)
        stages = ", ".join(str(s) for s in record.final.recovery_stages)
        parts.append(f"<h3>Recovery needed (stage {stages})</h3><ol>{steps}</ol>")
    return "\n".join(parts)


def plural(n: int, word: str) -> str:
    """ "1 week", "8 weeks"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _e(text: object) -> str:
    return html_lib.escape(str(text), quote=True)


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _labels(record: Record) -> list[str]:
    return [f"W{w.number}\n{w.local_date:%-d %b}" for w in record.weeks]


def _response_chart(record: Record) -> Figure:
    figure = Figure(figsize=(8, 3), layout="constrained")
    axes = figure.add_subplot()
    rates = [100 * w.answered / w.asked if w.asked else 0 for w in record.weeks]
    bars = axes.bar(_labels(record), rates, color="#4292c6")
    for bar, week in zip(bars, record.weeks, strict=True):
        axes.annotate(
            f"{week.answered}/{week.asked}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    axes.set_ylim(0, 110)
    axes.set_ylabel("answered, % of asked")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _usage_chart(record: Record) -> Figure:
    figure = Figure(figsize=(8, 3.2), layout="constrained")
    axes = figure.add_subplot()
    labels = _labels(record)
    bottoms = [0.0] * len(record.weeks)
    shown = [sum(w.usage.values()) >= record.min_group_size for w in record.weeks]
    for level in USAGE_LEVELS:
        shares = [
            100 * w.usage.get(level, 0) / sum(w.usage.values()) if ok else 0
            for w, ok in zip(record.weeks, shown, strict=True)
        ]
        axes.bar(
            labels,
            shares,
            bottom=bottoms,
            color=USAGE_COLOURS[level],
            label=USAGE_LABELS.get(level, "Daily"),
        )
        bottoms = [b + s for b, s in zip(bottoms, shares, strict=True)]
    for i, ok in enumerate(shown):
        if not ok:
            axes.text(i, 50, "below the\ngroup size", ha="center", va="center", fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_ylabel("% of those answering")
    axes.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _modes_chart(record: Record) -> Figure:
    interesting = [
        m.id
        for m in lookup.all_modes()
        if any(w.statuses.get(m.id) in ("detected", "watch", "cleared") for w in record.weeks)
    ]
    height = 1.2 + 0.35 * max(1, len(interesting))
    figure = Figure(figsize=(8, height), layout="constrained")
    axes = figure.add_subplot()
    if not interesting:
        axes.text(
            0.5, 0.5, "No failure mode was detected or on watch in any week.",
            ha="center", va="center",
        )  # fmt: skip
        axes.set_axis_off()
        return figure
    grid = [
        [STATUS_ORDER.index(w.statuses.get(mode_id, "not_enough_data")) for w in record.weeks]
        for mode_id in interesting
    ]
    axes.imshow(
        grid,
        cmap=ListedColormap(STATUS_COLOURS),
        vmin=0,
        vmax=len(STATUS_ORDER) - 1,
        aspect="auto",
    )
    titles = {m.id: m.title for m in lookup.all_modes()}
    axes.set_yticks(
        range(len(interesting)), [f"{m} {titles[m]}"[:40] for m in interesting], fontsize=8
    )
    axes.set_xticks(range(len(record.weeks)), _labels(record), fontsize=8)
    for row in range(len(interesting) - 1):
        axes.axhline(row + 0.5, color="white", linewidth=2)
    for col in range(len(record.weeks) - 1):
        axes.axvline(col + 0.5, color="white", linewidth=2)
    for row, mode_id in enumerate(interesting):
        for col, week in enumerate(record.weeks):
            status = week.statuses.get(mode_id, "not_enough_data")
            axes.text(col, row, STATUS_WORDS[status], ha="center", va="center", fontsize=7)
    return figure
