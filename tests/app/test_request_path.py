"""The request path never fails the person in front of it: Slack's rate limits never hold a
listener thread, an acknowledged answer is a stored answer, and a slow database gets an honest
reply inside Slack's 3 seconds and never a late save."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from slack_bolt import Ack
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bot.listeners.guard import ACK_BUDGET_SECONDS, BUSY_MESSAGE, SLOW_MESSAGE, guarded
from bot.listeners.pulse_actions import NOT_SAVED
from bot.sandbox import FakeSlack
from bot.sandbox.people import Person
from bot.sandbox.running import RunningApp
from bot.storage.models import Answer, Member, Role
from tests.services.conftest import Env, utc

NY = "America/New_York"
MONDAY = utc(2026, 11, 30, 15, 0)
# Every Web API method a listener or its hand-offs may call.
METHODS = (
    "views.open",
    "views.update",
    "views.publish",
    "users.info",
    "usergroups.list",
    "chat.postMessage",
    "chat.update",
    "conversations.open",
    "conversations.members",
    "conversations.history",
)


@pytest.fixture
def env(running: RunningApp, slack: FakeSlack) -> Env:
    return Env(db=running.db, slack=slack, app=running.ctx)


def _team(env: Env) -> int:
    return env.team(
        [("UOWNER", NY, Role.OWNER), ("UANA", NY, Role.MEMBER), ("UBEN", NY, Role.MEMBER)],
        created="2026-11-27",
    )


@contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Another process's transaction holding the database's write lock (SQLite) or an exclusive
    lock on the tables a click writes, seen signatures included (PostgreSQL), until the block
    ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(
            text(
                "LOCK TABLE members, pulse_deliveries, workspaces, seen_requests IN EXCLUSIVE MODE"
            )
        )
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def _answers(env: Env, user_id: str) -> list[str]:
    from bot.storage.models import Delivery

    with env.db.unit_of_work() as session:
        return list(
            session.scalars(
                select(Answer.question_id)
                .join(Delivery, Delivery.id == Answer.delivery_id)
                .join(Member, Member.id == Delivery.member_id)
                .where(Member.slack_user_id == user_id)
            )
        )


def _paused(env: Env, user_id: str) -> bool:
    with env.db.unit_of_work() as session:
        return any(session.scalars(select(Member.paused).where(Member.slack_user_id == user_id)))


def test_slack_rate_limiting_every_method_never_holds_a_listener_thread(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    for method in METHODS:
        slack.fail(method, "ratelimited", times=None, retry_after=60)
    sender = running.sender()
    with ThreadPoolExecutor(max_workers=6) as pool:
        setups = list(
            pool.map(lambda n: sender.command("setup new", user_id=f"USET{n:02d}"), range(18))
        )
    assert all(reply.status == 200 for reply in setups)
    # While Slack still answers 429 to everything, no listener is left waiting on it.
    assert running.pool.wait_idle(5), "a listener is waiting out a Retry-After"
    card = sender.command("2.2", user_id="UANA")
    paused = sender.command("pause", user_id="UANA")
    assert card.status == 200 and "Only the AI lead uses the tools" in card.text
    assert paused.status == 200 and "paused" in paused.json["text"].lower()
    assert _paused(env, "UANA")
    assert running.pool.wait_idle(5)
    # Each person who asked for the setup modal is told why it did not open, not left hanging:
    # in the ack itself once Slack's Retry-After is known, which is not called into again.
    in_ack = [r for r in setups if r.body and r.json.get("text") == BUSY_MESSAGE]
    later = [r for r in slack.responses if r.get("text") == BUSY_MESSAGE]
    assert len(in_ack) + len(later) == 18 and in_ack
    assert len(slack.calls_to("views.open", outcome="ratelimited")) == len(later) < 18


def test_an_acknowledged_answer_is_already_stored(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = Person("UANA", slack, running.sender())
    # The database is busy for a moment (well inside the budget) when the click arrives.
    locked = threading.Event()

    def hold() -> None:
        with write_lock(running.database_url):
            locked.set()
            time.sleep(ACK_BUDGET_SECONDS / 4)

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    reply = ana.answer("ai_frequency", "daily")
    holder.join()
    assert reply.status == 200
    assert _answers(env, "UANA") == ["ai_frequency"]  # read as soon as the 200 arrived


def test_a_click_the_database_cannot_take_in_time_is_refused_at_once_and_never_saved_later(
    running: RunningApp, slack: FakeSlack, env: Env
) -> None:
    _team(env)
    env.tick(MONDAY)
    ana = Person("UANA", slack, running.sender())
    with write_lock(running.database_url):
        reply = ana.answer("ai_frequency", "daily")
        assert reply.status == 200
        running.settle()
        told = [r for r in slack.responses if r.get("text") == NOT_SAVED]
        assert len(told) == 1 and told[0]["replace_original"] is False
    running.settle()
    assert _answers(env, "UANA") == []  # what she was told did not happen, did not happen later
    assert ana.answer("ai_frequency", "daily").status == 200  # and clicking again works
    assert _answers(env, "UANA") == ["ai_frequency"]


def test_a_command_the_database_cannot_take_in_time_says_so_and_changes_nothing(
    running: RunningApp, env: Env
) -> None:
    _team(env)
    sender = running.sender()
    with write_lock(running.database_url):
        reply = sender.command("pause", user_id="UANA")
        assert reply.status == 200
        assert reply.json["text"] == SLOW_MESSAGE
    running.settle()
    assert not _paused(env, "UANA")
    assert "paused" in sender.command("pause", user_id="UANA").json["text"].lower()
    assert _paused(env, "UANA")


def _slow(ack: Ack) -> None:
    time.sleep(ACK_BUDGET_SECONDS + 0.5)  # holds the only HTTP thread past a budget
    ack()


@pytest.mark.servers
def test_a_click_that_waited_in_the_server_queue_past_its_budget_is_refused_not_saved(
    slack: FakeSlack, database_url: str
) -> None:
    with RunningApp(
        slack=slack, database_url=database_url, migrate=False, overrides={"http_threads": 1}
    ) as running:
        env = Env(db=running.db, slack=slack, app=running.ctx)
        _team(env)
        env.tick(MONDAY)
        running.app.command("/slow")(guarded(_slow))
        sender = running.sender()
        ana = Person("UANA", slack, sender)
        with ThreadPoolExecutor(max_workers=2) as pool:
            blocker = pool.submit(sender.command, "", command="/slow")
            time.sleep(0.2)  # the click arrives while the only thread is busy, and queues
            click = pool.submit(ana.answer, "ai_frequency", "daily")
            assert blocker.result().status == 200
            assert click.result().status == 200
        running.settle()
        assert _answers(env, "UANA") == []
        assert [r["text"] for r in slack.responses if r.get("text") == NOT_SAVED] == [NOT_SAVED]


def test_a_slow_database_before_any_listener_runs_gets_an_honest_reply_not_a_500(
    running: RunningApp,
) -> None:
    # A request's signature is recorded (replays) and its workspace looked up as it is
    # authorized, before a listener runs; with the database locked that cannot happen within
    # the budget.
    sender = running.sender()
    sender.team_id = "T0NEWCOMER"
    with write_lock(running.database_url):
        command = sender.command("2.2", user_id="UANA")
        click = sender.block_action(
            {"action_id": "finding.ack", "value": "1", "type": "button", "block_id": "b"},
            user_id="UANA",
        )
    assert command.status == 200 and command.json["text"] == SLOW_MESSAGE
    assert click.status == 503 and "Traceback" not in click.text
