"""`atlas-bot demo`: the real app in HTTP mode on the local Slack sandbox; no workspace needed."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.sandbox import FakeSlack
from bot.sandbox.running import RunningApp
from bot.sandbox.transcript import blocks_to_text

DEFAULT_COMMANDS = ("help", "2.2", "ceo", "stage 4", "2.8", "<!channel>")


def run_demo(
    *,
    database_url: str | None = None,
    commands: tuple[str, ...] = DEFAULT_COMMANDS,
    echo: Callable[[str], None] = print,
) -> int:
    """Start the app on the sandbox, type a few `/atlas` commands as a person would, print replies.

    Returns the number of commands that did not get a 200 answer.
    """
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter is not the demo
    with tempfile.TemporaryDirectory(prefix="atlas-demo-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'demo.db'}"
        with FakeSlack() as slack, RunningApp(slack=slack, database_url=url) as app:
            echo(f"Adoption Atlas is running at {app.url} against a local Slack sandbox.")
            echo("Each request below is signed exactly as Slack signs it.\n")
            sender = app.sender()
            failures = 0
            for text in commands:
                reply = sender.command(text, user_id="U0MEMBER1")
                echo(f"> /atlas {text}    ({reply.status}, {reply.elapsed * 1000:.0f} ms)")
                if reply.status != 200:
                    failures += 1
                    echo(f"  {reply.text}\n")
                    continue
                body = reply.json
                echo(blocks_to_text(body.get("blocks") or [], indent="  ") or body.get("text"))
                echo("")
            echo("Run `atlas-bot serve` with SLACK_BOT_TOKEN set to use a real workspace.")
            return failures
