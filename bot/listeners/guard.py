"""The one error funnel: a user always gets a clear message, the log gets an id and the detail.

Every listener is registered through `guarded`, which also avoids a Bolt pitfall: a listener that
acks and then raises can leave the HTTP reply hanging for 3 s and then answering 404.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt.kwargs_injection.args import Args

from bot.blocks.common import error_modal

log = logging.getLogger("bot.errors")

USER_MESSAGE = (
    "Sorry, something went wrong on our side (error id `{error_id}`). Nothing you had saved "
    "was lost; please try again in a moment."
)


def new_error_id() -> str:
    """A short id that ties what a user saw to the log line with the detail."""
    return uuid.uuid4().hex[:10]


def guarded(listener: Callable[..., Any]) -> Callable[[Args], None]:
    """Wrap a listener so that no exception reaches Slack as a 500, a timeout or a stack trace."""
    wanted = list(inspect.signature(listener).parameters)

    def run(args: Args) -> None:
        kwargs = {name: getattr(args, name) for name in wanted}
        try:
            listener(**kwargs)
        except Exception:
            error_id = new_error_id()
            log.exception("listener %s failed (error id %s)", listener.__name__, error_id)
            tell_user(args, USER_MESSAGE.format(error_id=error_id))

    run.__name__ = listener.__name__
    run.__qualname__ = listener.__qualname__
    return run


def tell_user(args: Args, message: str) -> None:
    """Reach the user by whatever route is still open: the ack, the response_url, or the log."""
    body = args.body or {}
    if args.ack.response is None:
        if body.get("type") == "view_submission":
            # Keep the modal open and say what happened inside it.
            args.ack(response_action="update", view=error_modal(message))
        else:
            args.ack(response_type="ephemeral", text=message)
        return
    if args.respond is None or not body.get("response_url"):
        return
    try:
        args.respond(text=message, response_type="ephemeral", replace_original=False)
    except Exception:  # the user cannot be reached; the log already has the detail
        log.warning("could not tell the user about an error", exc_info=True)
