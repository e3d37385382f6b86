"""Reading what people type after `/atlas`: sub-commands and dates."""

from __future__ import annotations

import re
from datetime import date, datetime

_FORMATS = ("%Y-%m-%d", "%b %d %Y", "%d %b %Y", "%B %d %Y", "%d %B %Y", "%d/%m/%Y")
_NO_YEAR = ("%b %d", "%d %b", "%B %d", "%d %B")


def split_command(text: str) -> tuple[str, str]:
    """("pause", "until dec 24") from "Pause until Dec 24"."""
    parts = (text or "").strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].casefold(), parts[1] if len(parts) > 1 else ""


def parse_future_date(text: str, today: date) -> date | None:
    """A date after `today` written as 2026-12-24, Dec 24, 24 Dec 2026…; None if unreadable.

    A date without a year means its next occurrence.
    """
    cleaned = re.sub(
        r"^(until|till|til|to)\s+",
        "",
        " ".join(text.replace(",", " ").split()),
        flags=re.IGNORECASE,
    )
    if not cleaned or len(cleaned) > 40:
        return None
    for fmt in _FORMATS:
        try:
            day = datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
        return day if day > today else None
    for fmt in _NO_YEAR:
        try:
            parsed = datetime.strptime(f"{cleaned} {today.year}", f"{fmt} %Y").date()
        except ValueError:
            continue
        if parsed <= today:
            parsed = parsed.replace(year=today.year + 1)
        return parsed
    return None
