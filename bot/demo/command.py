"""`atlas-bot demo` on the command line: its options, and running it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.demo.scenarios import SCENARIOS, BadOption


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the `demo` sub-command to the `atlas-bot` parser's sub-parsers."""
    demo = sub.add_parser(
        "demo",
        help="try the app against a local Slack sandbox (no workspace needed)",
        description=(
            "Run the real app against a local Slack sandbox with a simulated company: weeks of "
            "pulses in seconds, the real scheduler and diagnosis, people who answer by clicking. "
            "Writes a transcript and an HTML report."
        ),
    )
    demo.add_argument(
        "--scenario",
        default="healthy",
        metavar="NAME",
        help=f"what the company goes through: {', '.join(SCENARIOS)} (default healthy)",
    )
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same run")
    demo.add_argument("--weeks", type=int, default=8, help="simulated weeks (default 8)")
    demo.add_argument("--people", type=int, default=12, help="people in the company (default 12)")
    demo.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where the transcript and report go (default ./demo-output)",
    )
    demo.add_argument(
        "--database-url",
        default=None,
        help="an empty database to run on (default: a temporary SQLite file)",
    )
    return demo


def run(args: argparse.Namespace) -> int:
    """Run the demo: 0 when it showed what its scenario is about, 1 when not, 2 on bad options."""
    from bot.demo.run import DEFAULT_OUT, run_demo
    from bot.demo.simulate import DemoError

    try:
        result = run_demo(
            scenario=args.scenario,
            seed=args.seed,
            weeks=args.weeks,
            people=args.people,
            out=args.out or DEFAULT_OUT,
            database_url=args.database_url,
        )
    except BadOption as exc:
        print(f"atlas-bot demo: {exc}", file=sys.stderr)
        return 2
    except DemoError as exc:
        print(f"atlas-bot demo: {exc}", file=sys.stderr)
        return 1
    return 0 if result.ok else 1
