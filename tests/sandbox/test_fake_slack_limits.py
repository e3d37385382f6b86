"""The stand-in enforces Slack's rate tiers and keeps message metadata, seen through slack_sdk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.sandbox import FakeSlack
from bot.sandbox.rate_limits import RateLimiter

pytestmark = pytest.mark.servers  # the Slack stand-in is an HTTP server


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock) as slack:
        slack.add_user("U1", name="Ana")
        yield slack


def _client(fake: FakeSlack, **kwargs: Any) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url, **kwargs)


def _refused(call: Any) -> str:
    """Make the call, expect a 429, and give its Retry-After."""
    with pytest.raises(SlackApiError) as raised:
        call()
    response = raised.value.response
    assert response.status_code == 429
    assert response.data == {"ok": False, "error": "ratelimited"}
    return response.headers["Retry-After"]


# --- rate limits -----------------------------------------------------------------------------
def test_a_tier_3_method_answers_429_after_50_a_minute(fake: FakeSlack, clock: FakeClock) -> None:
    fake.enforce_rate_limits()
    client = _client(fake)
    for _ in range(50):
        assert client.conversations_open(users="U1")["ok"]
    assert _refused(lambda: client.conversations_open(users="U1")) == "60"
    clock.advance(45.5)
    assert _refused(lambda: client.conversations_open(users="U1")) == "15"  # ceil(14.5)
    assert len(fake.calls_to("conversations.open")) == 50
    assert fake.ratelimited_count("conversations.open") == 2
    assert fake.ratelimited_count("users.info") == 0
    assert fake.ratelimited_count() == 2


def test_refused_calls_use_no_allowance_and_methods_have_their_own(
    fake: FakeSlack, clock: FakeClock
) -> None:
    fake.enforce_rate_limits()
    client = _client(fake)
    for _ in range(50):
        client.team_info()
    clock.advance(30)
    for _ in range(5):
        assert _refused(client.team_info) == "30"
    assert client.users_info(user="U1")["ok"]  # another method, another window
    clock.advance(30)  # the first 50 leave the window; the 5 refused never entered it
    for _ in range(50):
        assert client.team_info()["ok"]
    assert _refused(client.team_info) == "60"
    assert len(fake.calls_to("team.info")) == 100
    assert fake.ratelimited_count("team.info") == 6


def test_post_message_bursts_three_per_channel_then_one_a_second(
    fake: FakeSlack, clock: FakeClock
) -> None:
    fake.enforce_rate_limits()
    client = _client(fake)
    for _ in range(3):
        client.chat_postMessage(channel="C1", text="x")
    assert _refused(lambda: client.chat_postMessage(channel="C1", text="x")) == "1"
    assert client.chat_postMessage(channel="C2", text="x")["ok"]  # another channel's bucket
    clock.advance(0.5)
    assert _refused(lambda: client.chat_postMessage(channel="C1", text="x")) == "1"
    clock.advance(0.5)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert _refused(lambda: client.chat_postMessage(channel="C1", text="x")) == "1"
    # A user id and that user's DM channel are one channel.
    for _ in range(3):
        client.chat_postMessage(channel="U1", text="x")
    assert _refused(lambda: client.chat_postMessage(channel=fake.dm_channel("U1"), text="x")) == "1"
    assert len(fake.calls_to("chat.postMessage")) == 8
    assert fake.ratelimited_count("chat.postMessage") == 4


def test_post_message_has_a_workspace_wide_window(fake: FakeSlack, clock: FakeClock) -> None:
    assert fake.enforce_rate_limits().workspace_per_minute == 240  # the default model
    fake.enforce_rate_limits(post_message_workspace_per_minute=10)
    client = _client(fake)
    for i in range(10):
        assert client.chat_postMessage(channel=f"C{i}", text="x")["ok"]
    assert _refused(lambda: client.chat_postMessage(channel="C10", text="x")) == "60"
    clock.advance(59)
    assert _refused(lambda: client.chat_postMessage(channel="C10", text="x")) == "1"
    clock.advance(1)
    assert client.chat_postMessage(channel="C10", text="x")["ok"]
    assert fake.ratelimited_count("chat.postMessage") == 2


def test_none_lifts_the_workspace_window_but_not_the_channel_buckets(fake: FakeSlack) -> None:
    fake.enforce_rate_limits(scale=0.1)  # 240/min -> 24/min
    client = _client(fake)
    for i in range(24):
        client.chat_postMessage(channel=f"C{i}", text="x")
    assert _refused(lambda: client.chat_postMessage(channel="C99", text="x")) == "60"
    fake.enforce_rate_limits(scale=0.1, post_message_workspace_per_minute=None)
    for i in range(30):
        assert client.chat_postMessage(channel=f"D{i}", text="x")["ok"]
    assert fake.rate_limits is not None and fake.rate_limits.channel_burst == 1  # 3 * 0.1
    client.chat_postMessage(channel="C1", text="x")
    assert _refused(lambda: client.chat_postMessage(channel="C1", text="x")) == "10"  # 0.1/s


def test_scale_multiplies_every_allowance(fake: FakeSlack) -> None:
    limits = fake.enforce_rate_limits(scale=20)
    assert limits.per_minute("users.list") == 400
    assert limits.per_minute("chat.update") == 1000
    assert limits.per_minute("views.publish") == 2000
    assert limits.per_minute("chat.postMessage") == 4800
    assert (limits.channel_burst, limits.channel_per_second) == (60, 20.0)
    assert limits.per_minute("auth.test") is None

    fake.enforce_rate_limits(scale=0.2)  # users.list: 20 * 0.2 = 4 a minute
    client = _client(fake)
    for _ in range(4):
        assert client.users_list()["ok"]
    assert _refused(client.users_list) == "60"
    for _ in range(30):
        assert client.auth_test()["ok"]  # not limited
    fake.stop_enforcing_rate_limits()
    assert client.users_list()["ok"]
    assert fake.rate_limits is None
    assert fake.ratelimited_count() == 1


def test_limits_are_off_by_default(fake: FakeSlack) -> None:
    client = _client(fake)
    for _ in range(25):
        client.chat_postMessage(channel="C1", text="x")
    assert len(fake.calls_to("chat.postMessage")) == 25
    assert fake.ratelimited_count() == 0


def test_concurrent_posts_never_get_past_the_window(fake: FakeSlack) -> None:
    fake.enforce_rate_limits(post_message_workspace_per_minute=20)

    def post(i: int) -> int:
        try:
            return _client(fake).chat_postMessage(channel=f"C{i}", text="x").status_code
        except SlackApiError as exc:
            return exc.response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(40)))
    assert statuses.count(200) == 20 and statuses.count(429) == 20
    assert fake.ratelimited_count("chat.postMessage") == 20


def test_slack_sdks_retry_handler_waits_out_an_enforced_limit() -> None:
    with FakeSlack() as fake:  # the real clock: the handler really sleeps
        fake.enforce_rate_limits()
        client = _client(fake, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
        for _ in range(3):
            client.chat_postMessage(channel="C1", text="x")
        started = time.monotonic()
        assert client.chat_postMessage(channel="C1", text="fourth")["ok"]
        assert time.monotonic() - started >= 1.0
        outcomes = [c.outcome for c in fake.calls_to("chat.postMessage", outcome=None)]
        assert outcomes == ["ok", "ok", "ok", "ratelimited", "ok"]
        assert fake.ratelimited_count() == 1


def test_floor_arithmetic(fake: FakeSlack) -> None:
    assert fake.rate_limit_floor_seconds("team.info", 500) == 0.0  # not enforcing
    fake.enforce_rate_limits()
    floor = fake.rate_limit_floor_seconds
    assert floor("team.info", 50) == 0.0
    assert floor("team.info", 51) == 60.0
    assert floor("users.list", 41) == 120.0
    assert floor("users.info", 1000) == 540.0
    assert floor("auth.test", 10_000) == 0.0
    # 1,600 DMs, one per person: the workspace window (240/min) sets it: 60 * (1599 // 240).
    assert floor("chat.postMessage", 1600, channels=1600) == 360.0
    # Ten messages to one channel: three at once, then one a second.
    assert floor("chat.postMessage", 10, channels=1) == 7.0
    assert floor("chat.postMessage", 20, channels=2) == 7.0
    assert floor("chat.postMessage", 21, channels=2) == 8.0  # 11 on the busiest channel
    fake.enforce_rate_limits(scale=20)
    assert floor("chat.postMessage", 1600, channels=1600) == 0.0
    assert floor("chat.postMessage", 1600, channels=1) == (1600 - 60) / 20
    assert floor("conversations.open", 3000) == 120.0
    with pytest.raises(ValueError):
        floor("chat.postMessage", 1, channels=0)


@pytest.mark.parametrize(
    ("method", "count", "channels", "workspace", "expected"),
    [
        ("team.info", 120, 1, 240, 120.0),
        ("chat.postMessage", 10, 1, None, 7.0),
        ("chat.postMessage", 500, 500, 240, 120.0),
        # Both bind: 20 go in the first 4 s, the next 9 when those of t=0 leave, the last at 61.
        ("chat.postMessage", 30, 3, 20, 61.0),
        ("chat.postMessage", 100, 5, 30, 180.0),
    ],
)
def test_a_client_that_waits_exactly_as_told_finishes_on_the_floor(
    method: str, count: int, channels: int, workspace: int | None, expected: float
) -> None:
    limiter = RateLimiter(post_message_workspace_per_minute=workspace)
    now, sent = 0.0, 0
    while sent < count:
        wait = limiter.admit(method, f"C{sent % channels}", now)
        if wait:
            now += wait
        else:
            sent += 1
    assert now == pytest.approx(expected)
    assert limiter.floor_seconds(method, count, channels) == expected


# --- metadata and history --------------------------------------------------------------------
METADATA = {"event_type": "atlas_nudge", "event_payload": {"run": "r1", "member": "U1"}}


def test_metadata_comes_back_from_history_only_when_asked(fake: FakeSlack) -> None:
    client = _client(fake)
    first = client.chat_postMessage(channel="C1", text="nudge", metadata=METADATA)
    second = client.chat_postMessage(channel="C1", text="plain")
    plain = client.conversations_history(channel="C1")
    assert [m["ts"] for m in plain["messages"]] == [second["ts"], first["ts"]]
    assert all("metadata" not in m for m in plain["messages"])
    assert plain["messages"][1] == {
        "type": "message",
        "ts": first["ts"],
        "text": "nudge",
        "blocks": [],
        "bot_id": fake.bot_id,
        "user": fake.bot_user_id,
    }
    full = client.conversations_history(channel="C1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == METADATA
    assert "metadata" not in full["messages"][0]
    assert full["has_more"] is False and full["response_metadata"]["next_cursor"] == ""


def test_metadata_as_a_json_string_can_be_replaced_and_is_checked(fake: FakeSlack) -> None:
    client = _client(fake)
    posted = client.chat_postMessage(
        channel="C1", text="x", metadata='{"event_type": "a", "event_payload": {"n": 1}}'
    )
    replaced = {"event_type": "b", "event_payload": {"n": 2}}
    client.chat_update(channel="C1", ts=posted["ts"], text="y", metadata=replaced)
    message = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert [(m["text"], m["metadata"]) for m in message] == [("y", replaced)]
    assert fake.messages_in("C1")[0]["metadata"] == replaced
    for bad, error in [
        ("{not json", "invalid_metadata_format"),
        ({"event_type": "a"}, "invalid_metadata_schema"),
        ({"event_type": "", "event_payload": {}}, "invalid_metadata_schema"),
    ]:
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C1", text="x", metadata=bad)
        assert raised.value.response["error"] == error
    assert len(fake.messages_in("C1")) == 1


def test_history_pages_newest_first_without_deleted_messages_or_replies(fake: FakeSlack) -> None:
    client = _client(fake)
    ts = [client.chat_postMessage(channel="C1", text=f"m{i}")["ts"] for i in range(7)]
    client.chat_delete(channel="C1", ts=ts[2])
    client.chat_postMessage(channel="C1", text="reply", thread_ts=ts[0])
    seen, more, cursor = [], [], None
    while True:
        page = client.conversations_history(channel="C1", limit=2, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        more.append(page["has_more"])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == [ts[6], ts[5], ts[4], ts[3], ts[1], ts[0]]
    assert more == [True, True, False]
    assert len(fake.messages_in("C1")) == 7  # six + the reply

    between = client.conversations_history(channel="C1", oldest=ts[1], latest=ts[5])
    assert [m["ts"] for m in between["messages"]] == [ts[4], ts[3]]
    inclusive = client.conversations_history(
        channel="C1", oldest=ts[1], latest=ts[5], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == [ts[5], ts[4], ts[3], ts[1]]


def test_history_knows_which_channels_exist(fake: FakeSlack) -> None:
    client = _client(fake)
    fake.channel_members["C9"] = ["U1"]
    assert client.conversations_history(channel="C9")["messages"] == []
    assert client.conversations_history(channel=fake.dm_channel("U1"))["messages"] == []
    for channel, cursor, error in [
        ("C404", None, "channel_not_found"),
        ("C9", "not-a-cursor!", "invalid_cursor"),
    ]:
        with pytest.raises(SlackApiError) as raised:
            client.conversations_history(channel=channel, cursor=cursor)
        assert raised.value.response["error"] == error
    with FakeSlack() as bare:  # no users: conversations.open takes any id, and its DM exists
        opened = _client(bare).conversations_open(users="W9")["channel"]["id"]
        assert _client(bare).conversations_history(channel=opened)["messages"] == []


def test_dm_messages_by_user_counts_what_each_person_received(fake: FakeSlack) -> None:
    fake.add_user("U2")
    fake.add_user("U3")
    client = _client(fake)
    client.chat_postMessage(channel="U1", text="hi Ana")
    gone = client.chat_postMessage(channel="U1", text="oops")
    client.chat_delete(channel=gone["channel"], ts=gone["ts"])
    client.chat_postMessage(channel="U2", text="one")
    client.chat_postMessage(channel="U2", text="two")
    opened = client.conversations_open(users="U3")["channel"]["id"]
    client.chat_postMessage(channel=opened, text="via open")
    client.chat_postMessage(channel="W4", text="unknown to users.info, still a DM")
    client.chat_postMessage(channel="C1", text="a channel, not a DM")
    assert fake.dm_messages_by_user() == {"U1": 1, "U2": 2, "U3": 1, "W4": 1}
    assert [m["text"] for m in fake.messages_in("U2")] == ["one", "two"]
    fake.reset()
    assert fake.dm_messages_by_user() == {}
