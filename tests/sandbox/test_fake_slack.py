"""The stand-in answers like Slack, as seen through slack_sdk's own client."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.sandbox import FakeSlack

pytestmark = pytest.mark.servers  # the Slack stand-in is an HTTP server


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user("U1", name="Ana", tz="Asia/Tokyo")
        yield slack


def _client(fake: FakeSlack, **kwargs) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url, **kwargs)


def test_post_message_answers_with_ts_and_channel_and_is_recorded(fake: FakeSlack) -> None:
    result = _client(fake).chat_postMessage(
        channel="U1",
        text="hi",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}],
    )
    assert result["ok"] and result["channel"] == fake.dm_channel("U1") and result["ts"]
    call = fake.calls_to("chat.postMessage")[0]
    assert call.params["text"] == "hi" and call.json("blocks")[0]["type"] == "section"
    assert call.token == "xoxb-test"


def test_update_changes_the_stored_message_and_rejects_unknown_ts(fake: FakeSlack) -> None:
    client = _client(fake)
    posted = client.chat_postMessage(channel="C1", text="v1")
    client.chat_update(channel="C1", ts=posted["ts"], text="v2")
    assert fake.message("C1", posted["ts"])["text"] == "v2"
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="C1", ts="1.2", text="v3")
    assert raised.value.response["error"] == "message_not_found"


def test_users_info_gives_time_zone_and_flags(fake: FakeSlack) -> None:
    user = _client(fake).users_info(user="U1")["user"]
    assert user["tz"] == "Asia/Tokyo" and user["tz_offset"] == 9 * 3600
    assert user["deleted"] is False and user["is_bot"] is False
    with pytest.raises(SlackApiError):
        _client(fake).users_info(user="U404")


def test_paginated_lists_follow_the_cursor(fake: FakeSlack) -> None:
    fake.channel_members["C1"] = [f"U{i}" for i in range(250)]
    client = _client(fake)
    members, cursor = [], None
    while True:
        page = client.conversations_members(channel="C1", limit=100, cursor=cursor)
        members += page["members"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert members == fake.channel_members["C1"]


def test_a_rate_limit_answers_429_with_retry_after(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        _client(fake).chat_postMessage(channel="C1", text="x")
    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert fake.calls_to("chat.postMessage", outcome="ratelimited")


def test_slack_sdks_retry_handler_gets_through_after_the_429(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "ratelimited", retry_after=1)
    client = _client(fake, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert time.monotonic() - started >= 0.9
    assert [c.outcome for c in fake.calls_to("chat.postMessage", outcome=None)] == [
        "ratelimited",
        "ok",
    ]


def test_server_errors_and_account_inactive(fake: FakeSlack) -> None:
    fake.fail("users.info", "server_error", status=503)
    fake.fail("users.info", "error", error="account_inactive")
    client = _client(fake)
    with pytest.raises(SlackApiError) as first:
        client.users_info(user="U1")
    assert first.value.response.status_code == 503
    with pytest.raises(SlackApiError) as second:
        client.users_info(user="U1")
    assert second.value.response["error"] == "account_inactive"
    assert client.users_info(user="U1")["ok"]  # faults were for one call each


def test_a_slow_reply_is_slow(fake: FakeSlack) -> None:
    fake.fail("team.info", "slow", delay=0.3)
    started = time.monotonic()
    assert _client(fake).team_info()["ok"]
    assert time.monotonic() - started >= 0.3


def test_calls_without_a_token_are_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=fake.api_url).chat_postMessage(channel="C1", text="x")
    assert raised.value.response["error"] == "not_authed"


def test_response_url_posts_are_recorded(fake: FakeSlack) -> None:
    url = fake.response_url()
    assert WebhookClient(url).send(text="done", response_type="ephemeral").status_code == 200
    assert fake.responses == [{"text": "done", "response_type": "ephemeral"}]


def test_files_upload_v2_round_trip(fake: FakeSlack) -> None:
    result = _client(fake).files_upload_v2(
        content=b"PNG...", filename="trend.png", channel="C1", title="Trend"
    )
    assert result["ok"]
    file_id = result["files"][0]["id"]
    assert fake.uploaded(file_id) == b"PNG..."
