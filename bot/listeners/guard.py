"""The one error funnel and the request's time budget, around every listener.

Every listener is registered through `guarded`, which
- hands it the `AppContext` as `ctx` (put on Bolt's context by the app's middleware), so
  listeners are plain module-level functions;
- holds its database work before the ack to the request's budget (`ACK_BUDGET_SECONDS` from the
  moment the request arrived), so a slow database gets an honest "nothing was changed" inside
  Slack's 3 seconds instead of silence followed by a late save;
- turns every failure into a clear message for the person and an error id plus the detail for
  the log. It also avoids a Bolt pitfall: a listener that acks and then raises can leave the
  HTTP reply hanging for 3 s and then answering 404.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack
from slack_bolt.kwargs_injection.args import Args
from slack_sdk.errors import SlackApiError

from bot.blocks.common import error_modal
from bot.context import ACK_BUDGET_SECONDS, CONTEXT_KEY, RECEIVED_KEY, AppContext
from bot.errors import new_error_id
from bot.outbound import retry_after
from bot.storage.db import Budget, BudgetExceeded, budget

log = logging.getLogger("bot.errors")


USER_MESSAGE = (
    "Sorry, something went wrong on our side (error id `{error_id}`). Nothing you had saved "
    "was lost; please try again in a moment."
)
SLOW_MESSAGE = (
    "Nothing was changed: our database did not answer in time. Please try again in a moment."
)
BUSY_MESSAGE = (
    "Slack asked us to slow down, so that could not be done just now. Nothing was lost; please "
    "try again in a minute."
)

EXPIRED_MESSAGE = (
    "Slack's window for opening that dialog closed before it could open. Please try again."
)

__all__ = ["ACK_BUDGET_SECONDS", "guarded", "new_error_id", "tell_user"]


def guarded(listener: Callable[..., Any]) -> Callable[[Args], None]:
    """Wrap a listener so that no exception reaches Slack as a 500, a timeout or a stack trace."""
    wanted = list(inspect.signature(listener).parameters)

    def run(args: Args) -> None:
        received = args.context.get(RECEIVED_KEY) or time.monotonic()
        with budget(received + ACK_BUDGET_SECONDS) as limit:
            # Events are acked by Bolt before the listener runs: no one is waiting on them.
            limit.open = "ack" in wanted
            kwargs = {name: _argument(args, name, limit) for name in wanted}
            try:
                listener(**kwargs)
            except BudgetExceeded:
                log.warning("listener %s ran out of time; nothing was saved", listener.__name__)
                tell_user(args, SLOW_MESSAGE)
            except HeldBySlack as exc:
                log.info("listener %s: %s is held by a Retry-After", listener.__name__, exc)
                tell_user(args, BUSY_MESSAGE)
            except SlackApiError as exc:
                _remember_retry_after(args, exc)
                message = _slack_refusal(exc)
                if message is None:
                    _failed(args, listener)
                    return
                log.warning("listener %s: Slack said %s", listener.__name__, _error(exc))
                tell_user(args, message)
            except Exception:
                _failed(args, listener)

    run.__name__ = listener.__name__
    run.__qualname__ = listener.__qualname__
    return run


class _ClosingAck:
    """Bolt's `ack`, which also closes the budget: work after the reply has no deadline."""

    def __init__(self, ack: Ack, limit: Budget) -> None:
        self._ack, self._limit = ack, limit

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self._limit.open = False
        return self._ack(*args, **kwargs)

    @property
    def response(self) -> Any:
        """The reply, once acked."""
        return self._ack.response


def _argument(args: Args, name: str, limit: Budget) -> Any:
    if name == "ctx":
        return args.context[CONTEXT_KEY]
    if name == "ack":
        return _ClosingAck(args.ack, limit)
    if name == "respond" and not getattr(args.respond, "response_url", None):
        return _unreachable  # a payload without a response_url: nothing to reply to
    return getattr(args, name)


def _unreachable(**message: Any) -> None:
    log.info("no response_url to reply with %r", str(message.get("text", ""))[:80])


def _remember_retry_after(args: Args, exc: SlackApiError) -> None:
    """A 429 on a listener's own call: every caller of that method waits it out from now."""
    response = exc.response
    if getattr(response, "status_code", 0) != 429:
        return
    method = str(getattr(response, "api_url", "")).rstrip("/").rsplit("/", 1)[-1]
    ctx = args.context.get(CONTEXT_KEY)
    if method and ctx is not None:
        ctx.caller.slack_said_wait(method, retry_after(response.headers))


class HeldBySlack(Exception):
    """Slack asked us to wait before calling this method again: the person is told to retry."""


def not_held(ctx: AppContext, method: str = "views.open") -> None:
    """Before a call a listener cannot wait for: raise `HeldBySlack` (the person gets "slow
    down" in the ack itself) while a Retry-After for `method` is still running, rather than
    calling into it."""
    if ctx.caller.held_for(method) > 0:
        raise HeldBySlack(method)


def _error(exc: SlackApiError) -> str:
    response = exc.response
    if getattr(response, "status_code", 0) == 429:
        return "ratelimited"
    return str(response.get("error") or "")


def _slack_refusal(exc: SlackApiError) -> str | None:
    """What to tell the person when Slack refused a listener's call for a reason of its own."""
    error = _error(exc)
    if error == "ratelimited":
        return BUSY_MESSAGE
    if error in ("expired_trigger_id", "invalid_trigger_id", "trigger_exchanged"):
        return EXPIRED_MESSAGE
    return None


def _failed(args: Args, listener: Callable[..., Any]) -> None:
    error_id = new_error_id()
    log.exception("listener %s failed (error id %s)", listener.__name__, error_id)
    tell_user(args, USER_MESSAGE.format(error_id=error_id))


def tell_user(args: Args, message: str) -> None:
    """Reach the user by whatever route is still open: the ack, the response_url, or the log."""
    body = args.body or {}
    if args.ack.response is None:
        if body.get("type") == "view_submission":
            # Keep the modal open and say what happened inside it.
            args.ack(response_action="update", view=error_modal(message))
            return
        if "command" in body:
            args.ack(response_type="ephemeral", text=message)
            return
        args.ack()  # Slack shows nothing of a click's ack: the message goes by response_url
    if args.respond is None or not body.get("response_url"):
        return
    try:
        args.respond(text=message, response_type="ephemeral", replace_original=False)
    except Exception:  # the user cannot be reached; the log already has the detail
        log.warning("could not tell the user about an error", exc_info=True)
