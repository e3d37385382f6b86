"""Reading what people type: `/atlas` sub-commands, dates, whole numbers, names and notes.

Every limit on what a person may type lives here, next to the code that reads it, so that the
setup modal, the CLI, the commands and the messages that explain a refusal quote one number.
A reader never raises on odd input (a digit `int()` cannot read, a year 9999, a NUL byte): it
answers None, or a cleaned value within its limits.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date, datetime, timedelta

# --- limits ------------------------------------------------------------------------------------
MAX_COMMAND_CHARS = 200  # the text after /atlas: a mode id, a few words, or a sub-command
MAX_DATE_CHARS = 40  # "until 24 December 2026" fits many times over
PAUSE_MAX_YEARS = 1  # a pause ends at the latest on the same date next year
NAME_CHARS = 80  # a team's or a workflow's name (the column and the modal's input)
TOOL_CHARS = 75  # one tool's label (Slack's limit on an option's text)
MAX_TOOLS = 20  # tools offered in the "which tools" question
TOOLS_TEXT_CHARS = 1500  # the whole tool list as typed in the modal
ZONE_CHARS = 64  # an IANA time zone name (the column)
NOTE_CHARS = 500  # one self-assessment note
ROLLOUT_PAST_YEARS = 5  # a rollout start further back is a typo in the year
ROLLOUT_AHEAD_DAYS = 366  # and one more than a year ahead is not planned yet
SHIPPED_PAST_YEARS = 5  # a workflow shipped before that is a typo in the year
OFFICE_HOURS_MINUTES = (15, 240)  # a session's length
WORKFLOW_MINUTES = (1, 100_000)  # one run of a workflow; more than ~10 working weeks is a typo
NUMBER_DIGITS = 9  # no number anyone types here needs more

_FORMATS = ("%Y-%m-%d", "%b %d %Y", "%d %b %Y", "%B %d %Y", "%d %B %Y", "%d/%m/%Y")
_NO_YEAR = ("%b %d", "%d %b", "%B %d", "%d %B")
_UNTIL = re.compile(r"^(until|till|til|to)\s+", re.IGNORECASE)
_WHOLE = re.compile(r"[0-9]+")


# --- /atlas ------------------------------------------------------------------------------------
def split_command(text: str) -> tuple[str, str]:
    """("pause", "until dec 24") from "Pause until Dec 24".

    Text longer than MAX_COMMAND_CHARS is no command: it splits into ("", ""), and the reference
    answer that follows says how long it was and what `/atlas` reads.
    """
    if len(text or "") > MAX_COMMAND_CHARS:
        return "", ""
    parts = (text or "").strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].casefold(), parts[1] if len(parts) > 1 else ""


# --- dates -------------------------------------------------------------------------------------
def years_later(day: date, years: int) -> date:
    """The same date `years` later (or earlier); 29 February becomes the 28th; never out of
    the calendar's range."""
    year = min(max(day.year + years, date.min.year), date.max.year)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=year, day=28)


def days_after(day: date, days: int) -> date:
    """`day` plus `days`, never past the calendar's last date."""
    return day + timedelta(days=min(days, (date.max - day).days))


def latest_pause(today: date) -> date:
    """The last date a pause may run to: the same date PAUSE_MAX_YEARS from `today`."""
    return years_later(today, PAUSE_MAX_YEARS)


def read_date(text: str, today: date) -> date | None:
    """A date written as 2026-12-24, Dec 24, 24 Dec 2026, 24/12/2026…; None if unreadable.

    "until"/"till" in front is skipped; a date without a year means its next occurrence after
    `today` (for 29 February, the next leap year's).
    """
    cleaned = date_words(text).replace(",", " ")
    cleaned = " ".join(cleaned.split())
    if not cleaned or len(cleaned) > MAX_DATE_CHARS:
        return None
    for fmt in _FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    for fmt in _NO_YEAR:
        try:  # read in a leap year, so that "Feb 29" is a date
            day = datetime.strptime(f"{cleaned} 2000", f"{fmt} %Y").date()
        except ValueError:
            continue
        return _next(day.month, day.day, today)
    return None


def date_words(text: str) -> str:
    """What names the date in "until Dec 24": "Dec 24"."""
    return _UNTIL.sub("", " ".join((text or "").split()))


def _next(month: int, day: int, today: date) -> date | None:
    for year in range(today.year, min(today.year + 9, date.max.year + 1)):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            continue
        if candidate > today:
            return candidate
    return None


class DateProblem(enum.StrEnum):
    """Why a typed date was refused."""

    UNREADABLE = "unreadable"
    NOT_AHEAD = "not_ahead"  # today or in the past
    TOO_FAR = "too_far"  # beyond the limit


def pause_date_problem(text: str, today: date) -> DateProblem | None:
    """What is wrong with a pause's end date, or None when it is a date the pause may run to."""
    day = read_date(text, today)
    if day is None:
        return DateProblem.UNREADABLE
    if day <= today:
        return DateProblem.NOT_AHEAD
    if day > latest_pause(today):
        return DateProblem.TOO_FAR
    return None


def parse_future_date(text: str, today: date) -> date | None:
    """A pause's end date: after `today` and at most PAUSE_MAX_YEARS ahead; None otherwise
    (`pause_date_problem` says why)."""
    if pause_date_problem(text, today) is not None:
        return None
    return read_date(text, today)


# --- numbers and text --------------------------------------------------------------------------
def whole_number(text: str) -> int | None:
    """A whole number of at most NUMBER_DIGITS ASCII digits ("12", " 12 "); None otherwise.

    `int()` would also take "١٢", "1_000" or 5,000 digits; nobody means those here.
    """
    cleaned = (text or "").strip()
    if not _WHOLE.fullmatch(cleaned) or len(cleaned) > NUMBER_DIGITS:
        return None
    return int(cleaned)


def clean_line(text: str) -> str:
    """One line of text as stored: control characters, lone surrogates and direction overrides
    dropped, runs of white space made one space, ends trimmed."""
    kept = [" " if ch.isspace() else ch for ch in (text or "") if not _invisible(ch)]
    return " ".join("".join(kept).split())


# Joiners build emoji and Persian words: kept. Other format characters only hide or reorder text.
_JOINERS = ("\u200c", "\u200d")


def _invisible(ch: str) -> bool:
    if ch.isspace() or ch in _JOINERS:
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs")
