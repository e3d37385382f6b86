"""Building the Bolt app: `create_app(settings)`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import observability
from bot.context import CONTEXT_KEY, RECEIVED_KEY, AppContext
from bot.errors import new_error_id
from bot.listeners import (
    check_ins,
    commands,
    diagnosis_actions,
    events,
    guard,
    home,
    membership,
    office_hours,
    pulse_actions,
    setup,
    workflows,
)
from bot.listeners.pool import ListenerPool
from bot.services import workspaces
from bot.settings import Settings
from bot.storage.db import BudgetExceeded

log = logging.getLogger(__name__)


# A listener's own Web API calls (views.open on a 3-second trigger_id, mostly) must fail fast:
# no waiting out a Retry-After, no long timeout, while the person waits on the reply.
LISTENER_CALL_TIMEOUT = 3


def make_web_client(
    settings: Settings, token: str | None = None, *, retries: bool = True
) -> WebClient:
    """A Web API client on SLACK_API_URL; every client the app makes comes from here.

    `retries=False` is for `bot.outbound.Caller`, which paces and retries on its own terms.
    """
    handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=handlers if retries else [],
    )


def make_listener_client(settings: Settings) -> WebClient:
    """The client Bolt hands listeners: one quick try, errors (429s too) raised at once."""
    return WebClient(
        base_url=settings.slack_api_url,
        timeout=LISTENER_CALL_TIMEOUT,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )


def create_app(settings: Settings, *, ctx: AppContext | None = None) -> App:
    """The Bolt app with every listener registered. Needs SLACK_BOT_TOKEN."""
    settings.require("SLACK_BOT_TOKEN")
    ctx = ctx or AppContext.create(settings)
    signing_secret = settings.slack_signing_secret
    app = App(
        signing_secret=signing_secret.get_secret_value() if signing_secret else "",
        authorize=_authorizer(ctx),
        client=make_listener_client(settings),
        listener_executor=ListenerPool(max_workers=settings.listener_threads),
        logger=_bolt_logger(),
        # In Socket Mode there is no HTTP signature to check.
        request_verification_enabled=not settings.socket_mode,
    )
    app.error(_last_resort)
    observability.install(app)
    app.use(_with_context(ctx))
    for listeners in (
        commands,
        events,
        pulse_actions,
        diagnosis_actions,
        home,
        setup,
        membership,
        workflows,
        office_hours,
        check_ins,
    ):
        listeners.register(app)
    return app


class _DropTokenNotice(logging.Filter):
    # Bolt reads SLACK_BOT_TOKEN from the environment by itself and then warns that our client
    # wins over it. Our client is the point (it carries SLACK_API_URL); the notice is noise.
    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _DropTokenNotice) for f in logger.filters):
        logger.addFilter(_DropTokenNotice())
    return logger


def _with_context(ctx: AppContext) -> Callable[..., None]:
    """Middleware: every listener gets the AppContext (as `ctx`) and the request's arrival time."""

    def attach(context: BoltContext, next: Callable[[], None]) -> None:
        context[CONTEXT_KEY] = ctx
        if RECEIVED_KEY not in context:  # HTTP mode sets it as the request comes in
            context[RECEIVED_KEY] = time.monotonic()
        next()

    return attach


class WorkspaceNotServed(Exception):
    """A request from a workspace that never installed the app, or has removed it."""


NOT_SERVED_MESSAGE = (
    "Adoption Atlas isn't installed in this workspace, so it can't help here. "
    "Ask a workspace admin to install it if your team would like to use it."
)


def _authorizer(ctx: AppContext):
    token = ctx.settings.slack_bot_token
    assert token is not None

    def authorize(enterprise_id: str | None, team_id: str | None, logger: Any) -> AuthorizeResult:
        """Authorize from our own records: no Web API call on the request path, and only for a
        workspace recorded as installed (by `identify()` or `atlas-bot team create`).

        The token is this installation's: serving another workspace with it would let anyone
        who can sign a request act on the installed workspace's people.
        """
        info = ctx.workspaces.find(team_id) if team_id else None
        if info is None or not info.active:
            raise WorkspaceNotServed(team_id)
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token.get_secret_value(),
            bot_user_id=info.bot_user_id,
            bot_id=info.bot_id,
        )

    return authorize


def identify(ctx: AppContext) -> bool:
    """Ask Slack who we are (auth.test) and record the workspace.

    False (with a warning) when Slack cannot be reached; a token Slack refuses is raised, so
    that `serve` stops with one message instead of serving requests it can never answer.
    """
    from bot import operator_errors

    token = ctx.settings.slack_bot_token
    assert token is not None
    try:
        result = make_web_client(ctx.settings, token.get_secret_value()).auth_test()
    except (SlackApiError, OSError) as exc:
        if not operator_errors.is_slack_outage(exc):
            raise
        log.warning("%s Starting anyway.", operator_errors.explain(exc, ctx.settings))
        return False
    info = workspaces.ensure(
        db=ctx.db,
        slack_team_id=result["team_id"],
        name=result.get("team"),
        bot_user_id=result.get("user_id"),
        bot_id=result.get("bot_id"),
        enterprise_id=result.get("enterprise_id"),
    )
    ctx.workspaces.remember(info)
    return True


def _last_resort(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    """What fails around the listeners (middleware, authorize): a slash command gets a clear
    ephemeral reply; anything else a 503, which Slack shows as a failure (and retries, for an
    event), since nothing was done."""
    if isinstance(error, WorkspaceNotServed):
        # Nothing was done and nothing is recorded; a command gets a polite word, anything
        # else a plain 200 so that Slack does not retry it.
        logger.info("request from a workspace not served (%s) ignored", error)
        if isinstance(body, dict) and body.get("command"):
            return BoltResponse(
                status=200, body={"response_type": "ephemeral", "text": NOT_SERVED_MESSAGE}
            )
        return BoltResponse(status=200, body="")
    if isinstance(error, BudgetExceeded):
        logger.warning("the database did not answer in time before a listener could run")
        text = guard.SLOW_MESSAGE
    else:
        error_id = new_error_id()
        logger.error("request failed (error id %s)", error_id, exc_info=error)
        text = (
            f"Sorry, something went wrong on our side (error id `{error_id}`). "
            "Please try again in a moment."
        )
    if isinstance(body, dict) and body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=503, body="")
