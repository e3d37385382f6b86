"""A local HTTP server that answers Slack Web API methods the way Slack does.

It records every call, accepts `response_url` posts, and can be told per method to answer
429 with Retry-After, a 5xx, a slow reply, or an error such as `account_inactive`.  With
`enforce_rate_limits()` it also answers 429 the way Slack's published rate tiers would
(see `bot.sandbox.rate_limits`).  Messages keep their metadata and can be read back through
`conversations.history`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.polling import poll_until
from bot.sandbox.rate_limits import POST_MESSAGE, RateLimiter

JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass
class FakeUser:
    """A person in the sandbox workspace, as `users.info` describes them."""

    id: str
    name: str = ""
    tz: str = "America/New_York"
    is_bot: bool = False
    deleted: bool = False
    is_restricted: bool = False  # a guest
    is_admin: bool = False

    def to_slack(self, team_id: str) -> dict[str, Any]:
        """The user object Slack's `users.info` returns."""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        offset = datetime.now(ZoneInfo(self.tz)).utcoffset()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name or self.id.lower(),
            "real_name": self.name or self.id,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": False,
            "is_admin": self.is_admin,
            "tz": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {"real_name": self.name or self.id, "display_name": self.name},
        }


class _Server(ThreadingHTTPServer):
    # Slack takes bursts without refusing connections; socketserver's default backlog of 5
    # would make a burst of calls wait for SYN retransmits that Slack never causes.
    request_queue_size = 1024
    daemon_threads = True


@dataclass
class Fault:
    """How one method should misbehave, and for how many calls (None = until cleared)."""

    kind: str  # "ratelimited", "server_error", "slow", "error"
    times: int | None = 1
    retry_after: int = 1
    status: int = 500
    delay: float = 0.0
    error: str = "internal_error"


@dataclass
class Call:
    """One request the stand-in received."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    outcome: str = "ok"  # "ok", "error:<code>", "ratelimited", "http_<status>"

    def json(self, name: str) -> Any:
        """A parameter that Slack carries as a JSON string (blocks, view, …), decoded."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


@dataclass
class _Message:
    channel: str
    ts: str
    text: str
    blocks: Any
    user: str
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    # channel -> ts -> message; ts are handed out under the lock, so each dict is in ts order.
    messages: dict[str, dict[str, _Message]] = field(default_factory=dict)
    # DM channel -> user id, for every user id a message was posted to or a DM opened with.
    dm_users: dict[str, str] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)


class FakeSlack:
    """The stand-in server. Use as a context manager or call `start()` / `stop()`."""

    def __init__(
        self,
        *,
        team_id: str = "T0SANDBOX",
        team_name: str = "Sandbox Co",
        bot_user_id: str = "U0ATLASBOT",
        bot_id: str = "B0ATLASBOT",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.users: dict[str, FakeUser] = {}
        self.channel_members: dict[str, list[str]] = {}
        self.usergroup_members: dict[str, list[str]] = {}
        self.usergroup_handles: dict[str, str] = {}  # user group id -> handle, e.g. "design"
        self.invalid_tokens: set[str] = set()
        self._faults: dict[str, list[Fault]] = {}
        self._state = _State()
        self._lock = threading.Lock()
        self._in_flight = 0  # calls being answered right now (a slow fault may hold one)
        # The one time source of call records and rate limits; tests may pass a fake clock.
        self._clock = clock
        self._limiter: RateLimiter | None = None
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda p: {"args": p},
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.delete": self._delete_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.scheduleMessage": self._schedule_message,
            "conversations.open": self._conversations_open,
            "conversations.members": self._conversations_members,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "usergroups.users.list": self._usergroup_users,
            "usergroups.list": self._usergroups,
            "team.info": lambda p: {"team": {"id": self.team_id, "name": self.team_name}},
            "views.open": self._view_open,
            "views.push": self._view_open,
            "views.update": self._view_update,
            "views.publish": self._view_publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "apps.connections.open": lambda p: {"url": "ws://127.0.0.1:9/"},
        }
        self._server = _Server((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Where the server listens, e.g. http://127.0.0.1:50123."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL to give a WebClient (SLACK_API_URL)."""
        return self.base_url + "/api/"

    def response_url(self, key: str | None = None) -> str:
        """A fresh `response_url` whose posts are recorded in `responses`."""
        return f"{self.base_url}/response/{key or next(self._ids)}"

    # --- set-up ----------------------------------------------------------------------------
    def add_user(self, user_id: str, **fields: Any) -> FakeUser:
        """Add (or replace) a person in the workspace."""
        user = FakeUser(id=user_id, **fields)
        self.users[user_id] = user
        return user

    def fail(self, method: str, kind: str, times: int | None = 1, **options: Any) -> None:
        """Make `method` misbehave for the next `times` calls (None: until `clear_faults`)."""
        with self._lock:
            self._faults.setdefault(method, []).append(Fault(kind=kind, times=times, **options))

    def clear_faults(self, method: str | None = None) -> None:
        """Forget the faults of one method, or of all."""
        with self._lock:
            if method is None:
                self._faults.clear()
            else:
                self._faults.pop(method, None)

    def reset(self) -> None:
        """Forget calls, messages, views, faults and rate-limit windows (users, channels stay)."""
        with self._lock:
            self._state = _State()
            self._faults.clear()
        if self._limiter is not None:
            self._limiter.reset()

    # --- rate limits -----------------------------------------------------------------------
    def enforce_rate_limits(
        self, scale: float = 1.0, post_message_workspace_per_minute: int | None = 240
    ) -> RateLimiter:
        """Answer 429 past Slack's tiers, every allowance times `scale` (fresh windows)."""
        limiter = RateLimiter(
            scale=scale, post_message_workspace_per_minute=post_message_workspace_per_minute
        )
        self._limiter = limiter
        return limiter

    def stop_enforcing_rate_limits(self) -> None:
        """Let every call through again (injected `fail()` faults still apply)."""
        self._limiter = None

    @property
    def rate_limits(self) -> RateLimiter | None:
        """The enforced limits (`per_minute(method)`, `channel_burst`, …), or None when off."""
        return self._limiter

    def rate_limit_floor_seconds(self, method: str, count: int, channels: int = 1) -> float:
        """Least wall time for `count` calls under the enforced limits (0 when off).

        See `RateLimiter.floor_seconds` for the formula.
        """
        limiter = self._limiter
        return 0.0 if limiter is None else limiter.floor_seconds(method, count, channels)

    def ratelimited_count(self, method: str | None = None) -> int:
        """How many calls were answered 429, enforced or injected (of one method, or all)."""
        return sum(
            1
            for c in self.calls
            if c.outcome == "ratelimited" and (method is None or c.method == method)
        )

    # --- what happened ---------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        """Every call so far, in arrival order."""
        with self._lock:
            return list(self._state.calls)

    def calls_to(self, method: str, *, outcome: str | None = "ok") -> list[Call]:
        """Calls to one method (by default only those answered ok)."""
        return [
            c
            for c in self.calls
            if c.method == method and (outcome is None or c.outcome == outcome)
        ]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Bodies posted to response_url addresses, in order."""
        with self._lock:
            return list(self._state.responses)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current state of a posted message (after updates), or None if deleted."""
        with self._lock:
            msg = self._state.messages.get(channel, {}).get(ts)
        if msg is None:
            return None
        return {"channel": msg.channel, "ts": msg.ts, "text": msg.text, "blocks": msg.blocks}

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Every message now in a channel (or a user's DM), thread replies too, oldest first."""
        channel = self._resolve_channel(channel)
        with self._lock:
            stored = list(self._state.messages.get(channel, {}).values())
        return [
            {
                "channel": m.channel,
                "ts": m.ts,
                "text": m.text,
                "blocks": m.blocks,
                "user": m.user,
                "thread_ts": m.thread_ts,
                "metadata": m.metadata,
            }
            for m in stored
        ]

    def dm_messages_by_user(self) -> dict[str, int]:
        """User id → messages now in their DM channel; users with none are left out."""
        with self._lock:
            owners = dict(self._state.dm_users)
            counts = {ch: len(msgs) for ch, msgs in self._state.messages.items() if msgs}
        owners.update({self.dm_channel(u): u for u in self.users})
        return {owners[ch]: n for ch, n in counts.items() if ch in owners}

    def published_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for a user."""
        with self._lock:
            return self._state.views.get(f"home:{user_id}")

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id `conversations.open` gives for a user."""
        return "D" + user_id.lstrip("UW")

    # --- dispatch --------------------------------------------------------------------------
    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
            return fault

    def _record(self, call: Call) -> None:
        with self._lock:
            self._state.calls.append(call)

    def settle(self, seconds: float = 10.0) -> None:
        """Wait until no call is being answered, e.g. a slow reply its caller gave up on."""
        assert poll_until(self._idle, seconds), f"calls still in flight after {seconds} s"

    def _idle(self) -> bool:
        with self._lock:
            return not self._in_flight

    def handle_api(self, method: str, params: dict[str, Any], token: str | None):
        """Answer one Web API call: (status, headers, body)."""
        with self._lock:
            self._in_flight += 1
        try:
            return self._answer(method, params, token)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, method: str, params: dict[str, Any], token: str | None):
        call = Call(method=method, params=params, token=token, at=self._clock())
        fault = self._take_fault(method)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        elif fault is not None:
            return self._faulted(call, fault)
        if token is None and method not in ("api.test",):
            return self._error(call, "not_authed")
        if token in self.invalid_tokens:
            return self._error(call, "invalid_auth")
        handler = self._handlers.get(method)
        if handler is None:
            return self._error(call, "unknown_method")
        limiter = self._limiter
        if limiter is not None:
            channel = params.get("channel") if method == POST_MESSAGE else None
            key = self._resolve_channel(str(channel)) if channel else None
            # Admitted calls count even if the handler then answers an error, as at Slack.
            wait = limiter.admit(method, key, self._clock())
            if wait > 0:
                return self._ratelimited(call, max(1, math.ceil(wait)))
        try:
            body = handler(params)
        except _SlackError as exc:
            return self._error(call, exc.code)
        self._record(call)
        return 200, {}, {"ok": True, **body}

    def _ratelimited(self, call: Call, retry_after: int):
        call.outcome = "ratelimited"
        self._record(call)
        return 429, {"Retry-After": str(retry_after)}, {"ok": False, "error": "ratelimited"}

    def _faulted(self, call: Call, fault: Fault):
        if fault.kind == "ratelimited":
            return self._ratelimited(call, fault.retry_after)
        if fault.kind == "server_error":
            call.outcome = f"http_{fault.status}"
            self._record(call)
            return fault.status, {}, None
        return self._error(call, fault.error)

    def _error(self, call: Call, code: str):
        call.outcome = f"error:{code}"
        self._record(call)
        return 200, {}, {"ok": False, "error": code}

    def handle_response_url(self, body: dict[str, Any], path: str = "") -> None:
        """Record a post to a response_url, and apply it to the message it belongs to.

        A response_url minted for a click on a message (`/response/msg/<channel>/<ts>/<n>`)
        can replace or delete that message, as Slack's does.
        """
        with self._lock:
            self._state.responses.append(body)
            parts = path.split("/")
            if len(parts) < 5 or parts[2] != "msg":
                return
            channel_messages = self._state.messages.get(parts[3], {})
            msg = channel_messages.get(parts[4])
            if msg is None:
                return
            if _truthy(body.get("delete_original")):
                del channel_messages[parts[4]]
            elif _truthy(body.get("replace_original")):
                msg.text = body.get("text", msg.text)
                msg.blocks = _decoded(body.get("blocks", msg.blocks))

    def message_response_url(self, channel: str, ts: str) -> str:
        """A response_url that acts on one message, as the one in a click payload does."""
        return f"{self.base_url}/response/msg/{channel}/{ts}/{next(self._ids)}"

    # --- methods ---------------------------------------------------------------------------
    def _auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://sandbox.slack.com/",
            "team": self.team_name,
            "user": "adoption-atlas",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user id lands in the DM with them, as in Slack.
        if channel.startswith(("U", "W")):
            return self.dm_channel(channel)
        return channel

    def _remember_dm(self, user_id: str) -> None:
        # dm_channel() cannot be inverted (U… and W… ids), so keep who each DM belongs to.
        if user_id.startswith(("U", "W")):
            with self._lock:
                self._state.dm_users[self.dm_channel(user_id)] = user_id

    def _post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        target = str(_required(p, "channel", "channel_not_found"))
        if not p.get("text") and not p.get("blocks") and not p.get("attachments"):
            raise _SlackError("no_text")
        metadata = _metadata(p["metadata"]) if p.get("metadata") not in (None, "") else None
        channel = self._resolve_channel(target)
        self._remember_dm(target)
        with self._lock:
            # ts and insertion together, so history order is ts order under concurrent posts.
            ts = self._next_ts()
            msg = _Message(
                channel,
                ts,
                p.get("text", ""),
                _decoded(p.get("blocks")),
                self.bot_user_id,
                p.get("thread_ts"),
                metadata,
            )
            self._state.messages.setdefault(channel, {})[ts] = msg
        return {"channel": channel, "ts": ts, "message": self._history_entry(msg, True)}

    def _update_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = _required(p, "channel", "channel_not_found")
        ts = _required(p, "ts", "message_not_found")
        metadata = _metadata(p["metadata"]) if p.get("metadata") not in (None, "") else None
        with self._lock:
            msg = self._state.messages.get(channel, {}).get(ts)
            if msg is None:
                raise _SlackError("message_not_found")
            if "text" in p:
                msg.text = p["text"]
            if "blocks" in p:
                msg.blocks = _decoded(p["blocks"])
            if metadata is not None:
                msg.metadata = metadata
        return {
            "channel": channel,
            "ts": ts,
            "text": msg.text,
            "message": {"text": msg.text, "blocks": msg.blocks},
        }

    def _delete_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = _required(p, "channel", "channel_not_found")
        ts = _required(p, "ts", "message_not_found")
        with self._lock:
            if self._state.messages.get(channel, {}).pop(ts, None) is None:
                raise _SlackError("message_not_found")
        return {"channel": channel, "ts": ts}

    def _post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        _required(p, "channel", "channel_not_found")
        _required(p, "user", "user_not_found")
        return {"message_ts": self._next_ts()}

    def _schedule_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(_required(p, "channel", "channel_not_found"))
        post_at = int(_required(p, "post_at", "invalid_time"))
        if post_at <= time.time():
            raise _SlackError("time_in_past")
        return {
            "channel": channel,
            "scheduled_message_id": f"Q{next(self._ids):08d}",
            "post_at": post_at,
        }

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(_required(p, "users", "users_list_not_supplied")).split(",") if u]
        if len(users) != 1:
            return {"channel": {"id": "G" + "".join(u[-3:] for u in users)}}
        user = self.users.get(users[0])
        if user is None and self.users:
            raise _SlackError("user_not_found")
        self._remember_dm(users[0])
        return {"channel": {"id": self.dm_channel(users[0])}}

    def _usergroups(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "usergroups": [
                {
                    "id": group_id,
                    "team_id": self.team_id,
                    "handle": self.usergroup_handles.get(group_id, group_id.lower()),
                    "name": self.usergroup_handles.get(group_id, group_id),
                    "date_delete": 0,
                    "user_count": len(users),
                }
                for group_id, users in self.usergroup_members.items()
            ]
        }

    def _conversations_members(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = _required(p, "channel", "channel_not_found")
        if channel not in self.channel_members:
            raise _SlackError("channel_not_found")
        return _paged(self.channel_members[channel], p, "members")

    def _conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = _required(p, "channel", "channel_not_found")
        if channel not in self.channel_members:
            raise _SlackError("channel_not_found")
        return {
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": True,
                "num_members": len(self.channel_members[channel]),
            }
        }

    def _conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(_required(p, "channel", "channel_not_found"))
        with self._lock:
            known = (
                channel in self._state.messages
                or channel in self._state.dm_users
                or channel in self.channel_members
                or any(channel == self.dm_channel(u) for u in list(self.users))
            )
            stored = list(self._state.messages.get(channel, {}).values())
        if not known:
            raise _SlackError("channel_not_found")
        inclusive = _truthy(p.get("inclusive"))
        oldest = _ts_value(p.get("oldest"), Decimal(0), "invalid_ts_oldest")
        latest = _ts_value(p.get("latest"), Decimal("Infinity"), "invalid_ts_latest")

        def in_range(ts: Decimal) -> bool:
            # Slack's bounds are exclusive unless `inclusive` is set.
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        # Thread replies live in conversations.replies, not in the channel's history.
        newest_first = [
            m for m in reversed(stored) if m.thread_ts in (None, m.ts) and in_range(Decimal(m.ts))
        ]
        if p.get("cursor"):
            start_ts = _cursor_ts(str(p["cursor"]))
            newest_first = [m for m in newest_first if Decimal(m.ts) <= start_ts]
        limit = max(1, min(int(p.get("limit") or 100), 999))
        page, rest = newest_first[:limit], newest_first[limit:]
        with_metadata = _truthy(p.get("include_all_metadata"))
        # The cursor names the next message to give, so deletions between pages skip nothing.
        next_cursor = base64.b64encode(f"next_ts:{rest[0].ts}".encode()).decode() if rest else ""
        return {
            "messages": [self._history_entry(m, with_metadata) for m in page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _history_entry(self, msg: _Message, with_metadata: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "type": "message",
            "ts": msg.ts,
            "text": msg.text,
            "blocks": msg.blocks or [],
            "bot_id": self.bot_id,
            "user": msg.user,
        }
        if msg.thread_ts is not None:
            entry["thread_ts"] = msg.thread_ts
        if with_metadata and msg.metadata is not None:
            entry["metadata"] = msg.metadata
        return entry

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(_required(p, "user", "user_not_found"))
        if user is None:
            raise _SlackError("user_not_found")
        return {"user": user.to_slack(self.team_id)}

    def _users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        everyone = [u.to_slack(self.team_id) for u in self.users.values()]
        return _paged(everyone, p, "members")

    def _usergroup_users(self, p: dict[str, Any]) -> dict[str, Any]:
        group = _required(p, "usergroup", "no_such_subteam")
        if group not in self.usergroup_members:
            raise _SlackError("no_such_subteam")
        return {"users": list(self.usergroup_members[group])}

    def _view_open(self, p: dict[str, Any]) -> dict[str, Any]:
        _required(p, "trigger_id", "invalid_trigger_id")
        view = _decoded(_required(p, "view", "invalid_arguments"))
        view_id = f"V{next(self._ids):08d}"
        stored = {**view, "id": view_id, "team_id": self.team_id, "hash": view_id}
        with self._lock:
            self._state.views[view_id] = stored
        return {"view": stored}

    def _view_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view_id = p.get("view_id") or p.get("external_id")
        view = _decoded(_required(p, "view", "invalid_arguments"))
        with self._lock:
            if view_id not in self._state.views:
                raise _SlackError("not_found")
            stored = {**view, "id": view_id, "team_id": self.team_id, "hash": view_id}
            self._state.views[view_id] = stored
        return {"view": stored}

    def _view_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user_id = _required(p, "user_id", "invalid_arguments")
        view = _decoded(_required(p, "view", "invalid_arguments"))
        stored = {**view, "id": f"VHOME{user_id}", "team_id": self.team_id}
        with self._lock:
            self._state.views[f"home:{user_id}"] = stored
        return {"view": stored}

    def _upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        _required(p, "filename", "invalid_arguments")
        file_id = f"F{next(self._ids):08d}"
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        files = _decoded(_required(p, "files", "invalid_arguments"))
        with self._lock:
            missing = [f["id"] for f in files if f["id"] not in self._state.uploads]
        if missing:
            raise _SlackError("file_not_found")
        return {"files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def handle_upload(self, file_id: str, data: bytes) -> None:
        """Keep the bytes posted to an upload URL."""
        with self._lock:
            self._state.uploads[file_id] = data

    def uploaded(self, file_id: str) -> bytes | None:
        """Bytes uploaded for a file id."""
        with self._lock:
            return self._state.uploads.get(file_id)

    # --- HTTP ------------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                # slack_sdk reads some methods (conversations.history) with GET + query string.
                path = urlsplit(self.path).path
                if path.startswith("/api/"):
                    self._api(path, {})
                else:
                    self._send(404, {}, {"ok": False, "error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                if path.startswith("/api/"):
                    self._api(path, _parse_params(raw, self.headers.get("Content-Type", "")))
                elif path.startswith("/response/"):
                    body = _parse_params(raw, self.headers.get("Content-Type", ""))
                    fake.handle_response_url(body, path)
                    self._send(200, {}, {"ok": True})
                elif path.startswith("/upload/"):
                    fake.handle_upload(path[len("/upload/") :], raw)
                    self._send(200, {}, {"ok": True})
                else:
                    self._send(404, {}, {"ok": False, "error": "not_found"})

            def _api(self, path: str, params: dict[str, Any]) -> None:
                params.update(dict(parse_qsl(urlsplit(self.path).query)))
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ").strip() or params.pop("token", None)
                status, headers, body = fake.handle_api(path[len("/api/") :], params, token)
                self._send(status, headers, body)

            def _send(self, status: int, headers: dict[str, str], body: Any) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                if body is None:
                    data = b"upstream error"
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "application/json; charset=utf-8" if body is not None else "text/plain",
                )
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


class _SlackError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _required(params: dict[str, Any], name: str, error: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise _SlackError(error)
    return value


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_params(raw: bytes, content_type: str) -> dict[str, Any]:
    text = raw.decode("utf-8", errors="replace")
    if "application/json" in content_type:
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _paged(items: list[Any], params: dict[str, Any], key: str) -> dict[str, Any]:
    limit = max(1, min(int(params.get("limit") or 100), 1000))
    start = int(params.get("cursor") or 0)
    page = items[start : start + limit]
    next_cursor = str(start + limit) if start + limit < len(items) else ""
    return {key: page, "response_metadata": {"next_cursor": next_cursor}}


def _metadata(value: Any) -> dict[str, Any]:
    """Message metadata as Slack validates it: an object with event_type and event_payload."""
    decoded = value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            raise _SlackError("invalid_metadata_format") from None
    if not isinstance(decoded, dict):
        raise _SlackError("invalid_metadata_format")
    event_type, payload = decoded.get("event_type"), decoded.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise _SlackError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def _truthy(value: Any) -> bool:
    # Booleans arrive as "1"/"0" (slack_sdk), "true"/"false" (curl) or real JSON booleans.
    return value is True or str(value).lower() in ("1", "true")


def _ts_value(value: Any, default: Decimal, error: str) -> Decimal:
    # Decimal, not float: "1700000001.000100" has more digits than a float keeps exactly.
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _SlackError(error) from None


def _cursor_ts(cursor: str) -> Decimal:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
        return Decimal(text.removeprefix("next_ts:"))
    except (binascii.Error, UnicodeDecodeError, InvalidOperation):
        raise _SlackError("invalid_cursor") from None
