"""Error ids: a short id ties what a person saw to the log line with the detail."""

from __future__ import annotations

import uuid


def new_error_id() -> str:
    """A short random id, quoted to the person and logged with the traceback."""
    return uuid.uuid4().hex[:10]
