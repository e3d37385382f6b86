"""What the app's JSON log handler writes for one logger, captured for a test."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot import observability


@contextmanager
def json_lines(logger_name: str) -> Iterator[io.StringIO]:
    """Capture the logger's records at INFO through the JSON formatter the app uses."""
    stream = io.StringIO()
    handler = observability.log_handler("json", stream)
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    """Each captured line, parsed."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]
