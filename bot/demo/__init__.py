"""`atlas-bot demo`: the real app on a local Slack sandbox, with a simulated company.

One run starts the app in HTTP mode on its own database, creates a company of simulated people
and takes them through weeks of pulses in virtual time: the real scheduler tick sends the DMs,
people click the buttons they were sent, rounds close and the real diagnosis alerts the owner.
A transcript and an HTML report show what happened. `scenarios` holds the companies' stories,
`simulate` the weeks, `report` the outputs, `run` the command itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.demo.scenarios import SCENARIOS, BadOption, UnknownScenario

if TYPE_CHECKING:
    from bot.demo.run import DemoResult, run_demo

__all__ = ["SCENARIOS", "BadOption", "DemoResult", "UnknownScenario", "run_demo"]


def __getattr__(name: str) -> Any:
    # The simulation imports the whole app; listing the scenarios (for `--help`) should not.
    if name in ("DemoResult", "run_demo"):
        from bot.demo import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
