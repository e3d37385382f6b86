"""Sending requests to the app exactly as Slack does: signed, form- or JSON-encoded."""

from __future__ import annotations

import http.client
import io
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier


@dataclass(frozen=True)
class SlackReply:
    """The app's HTTP answer."""

    status: int
    body: bytes
    headers: dict[str, str]
    elapsed: float

    @property
    def json(self) -> Any:
        """The body as JSON (Bolt answers commands with a JSON message)."""
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", errors="replace")


# Numbers for trigger ids, response URLs and event ids: unique in the process, as Slack's are
# unique, however many senders there are (two identical signed requests would be a replay).
_REQUEST_IDS = itertools.count(1)

# How a request reaches the app: (url, body, headers, method) -> the app's answer.
Transport = Callable[[str, bytes, dict[str, str], str], SlackReply]


class SignedSender:
    """Builds Slack's payloads, signs them with the signing secret, and posts them to the app.

    By default each request goes over HTTP to `app_url`; `transport` can hand the very same
    bytes and headers to the app's WSGI entry point in this process (`wsgi_transport`).
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        team_id: str = "T0SANDBOX",
        response_url_base: str = "http://127.0.0.1:9/response",
        path: str = "/slack/events",
        transport: Transport | None = None,
    ) -> None:
        self.url = app_url.rstrip("/") + path
        self.verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.response_url_base = response_url_base
        self._transport = transport
        self._ids = _REQUEST_IDS

    # --- payloads --------------------------------------------------------------------------
    def command(
        self,
        text: str,
        *,
        user_id: str = "U0MEMBER1",
        command: str = "/atlas",
        channel_id: str = "C0GENERAL",
    ) -> SlackReply:
        """A slash command, form-encoded as Slack sends it."""
        n = next(self._ids)
        form = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "team_domain": "sandbox",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0ATLAS",
            "is_enterprise_install": "false",
            "response_url": f"{self.response_url_base}/cmd{n}",
            "trigger_id": f"{n}.trigger",
        }
        return self.post_form(form)

    def block_action(
        self,
        action: dict[str, Any],
        *,
        user_id: str,
        message: dict[str, Any] | None = None,
        channel_id: str | None = None,
        view: dict[str, Any] | None = None,
    ) -> SlackReply:
        """A click on an interactive element, as `payload=<json>`."""
        n = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0ATLAS",
            "token": "deprecated-verification-token",
            "trigger_id": f"{n}.trigger",
            "actions": [{"action_ts": f"{time.time():.6f}", **action}],
        }
        if message is not None:
            payload["container"] = {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": channel_id,
                "is_ephemeral": False,
            }
            payload["message"] = message
            payload["channel"] = {"id": channel_id, "name": "directmessage"}
            # A click on a message carries a response_url that can replace that message.
            payload["response_url"] = (
                f"{self.response_url_base}/msg/{channel_id}/{message.get('ts')}/{n}"
            )
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
        return self.post_form({"payload": json.dumps(payload)})

    def view_submission(
        self, view: dict[str, Any], values: dict[str, Any], *, user_id: str
    ) -> SlackReply:
        """A modal's submission with `state.values` filled in."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A0ATLAS",
            "trigger_id": f"{next(self._ids)}.trigger",
            "view": {**view, "state": {"values": values}, "team_id": self.team_id},
        }
        return self.post_form({"payload": json.dumps(payload)})

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> SlackReply:
        """An Events API callback, JSON-encoded."""
        body = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0ATLAS",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.team_id, "is_bot": True, "is_enterprise_install": False}
            ],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
        return self.post(json.dumps(body).encode(), "application/json", extra_headers=headers)

    # --- transport -------------------------------------------------------------------------
    def post_form(self, form: dict[str, str]) -> SlackReply:
        """Post a form-encoded body, signed."""
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The two headers Slack adds: the timestamp and the v0 signature."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.verifier.generate_signature(timestamp=ts, body=body.decode("utf-8"))
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> SlackReply:
        """Post raw bytes; signed unless `headers` replaces the signature headers."""
        all_headers = {
            "Content-Type": content_type,
            **(headers or self.sign(body)),
            **(extra_headers or {}),
        }
        if self._transport is not None:
            return self._transport(self.url, body, all_headers, "POST")
        return post_raw(self.url, body, all_headers, timeout=timeout)


def post_raw(
    url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0, method: str = "POST"
) -> SlackReply:
    """One HTTP request over a fresh connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request(method, parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return SlackReply(
            status=response.status,
            body=data,
            headers={k.lower(): v for k, v in response.getheaders()},
            elapsed=time.perf_counter() - started,
        )
    finally:
        connection.close()


def wsgi_transport(wsgi: Callable[..., Iterable[bytes]]) -> Transport:
    """Requests handed to a WSGI app in this process: the same bytes, no socket in between."""

    def send(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> SlackReply:
        parts = urlsplit(url)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": parts.path or "/",
            "QUERY_STRING": parts.query,
            "SERVER_NAME": "sandbox",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(),
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ[f"HTTP_{key}"] = value
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = {k.lower(): v for k, v in response_headers}

        started = time.perf_counter()
        data = b"".join(wsgi(environ, start_response))
        return SlackReply(
            status=answer["status"],
            body=data,
            headers=answer["headers"],
            elapsed=time.perf_counter() - started,
        )

    return send
