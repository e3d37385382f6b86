"""Someone with the whole database tries to tie confidential answers to people, and cannot.

Twelve people answer the confidential question through the real service. A second session,
opened as the attacker, then joins what it can: transaction ids (PostgreSQL's `xmin`), row
ids and row order, timestamps, and on PostgreSQL the old row versions left on disk.
"""

from __future__ import annotations

import base64
import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import DateTime, Engine, MetaData, text
from sqlalchemy.exc import DBAPIError

from bot.services import pulse_answers, teams
from bot.services.pulse_answers import Refusal
from bot.storage.db import Database, make_engine
from bot.storage.models import Role
from bot.storage.sealing import SecretKeyMissing
from tests.services.conftest import Env, utc

NY = "America/New_York"
MONDAY = utc(2026, 11, 16, 15, 0)  # 10:00 in New York
CLOSED = MONDAY + timedelta(days=7)
QUESTION = "confidential_paste"
# Switched off so that the first round's rotating question is the confidential one.
SWITCHED_OFF = ("training_fit", "prompt_source", "first_heard", "output_problems")
PEOPLE = [f"UP{i:02d}" for i in range(12)]
# Four of each option, in an order that an attacker pairing rows by position would notice.
CHOICES = dict(zip(PEOPLE, itertools.cycle(("no", "yes", "unsure")), strict=False))
PERSON_COLUMNS = {"delivery_id", "member_id", "user_id", "slack_user_id", "team_id"}


def _answer_all(env: Env) -> tuple[int, dict[str, int]]:
    """The round's id and each person's delivery id, after everyone answered in `PEOPLE` order."""
    people = [("U0OWNER", NY, Role.OWNER)] + [(p, NY, Role.MEMBER) for p in PEOPLE]
    team_id = env.team(people, created="2026-11-11", rollout_start=date(2026, 10, 1))
    for question_id in SWITCHED_OFF:
        teams.set_question_enabled(
            db=env.db, team_id=team_id, question_id=question_id, enabled=False
        )
    env.tick(MONDAY)
    with env.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT m.slack_user_id, d.id, d.round_id FROM pulse_deliveries d "
                "JOIN members m ON m.id = d.member_id"
            )
        ).all()
    deliveries = {user: delivery for user, delivery, _ in rows}
    round_id = rows[0][2]
    for person in PEOPLE:
        result = pulse_answers.record(
            db=env.db,
            slack_team_id=env.slack.team_id,
            user_id=person,
            delivery_id=deliveries[person],
            question_id=QUESTION,
            values=[CHOICES[person]],
            now=MONDAY + timedelta(minutes=5),
        )
        assert result.refusal is None
    return round_id, deliveries


def _postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _xmins(engine: Engine, table: str) -> list[int]:
    with engine.connect() as connection:
        return [int(x) for (x,) in connection.execute(text(f"SELECT xmin::text FROM {table}"))]


def test_a_confidential_answer_is_never_written_with_anything_naming_its_person(
    env: Env, database_url: str
) -> None:
    round_id, _ = _answer_all(env)
    attacker = make_engine(database_url)  # a second session: all the database, no secret key
    try:
        with attacker.connect() as connection:
            pending = connection.execute(text("SELECT * FROM confidential_pending")).mappings()
            pending = [dict(row) for row in pending]
            marks = connection.execute(text("SELECT * FROM confidential_responses")).all()
        assert len(pending) == len(marks) == len(PEOPLE)
        # Nothing in a waiting answer names anyone, says when, or says what was chosen.
        assert set(pending[0]) == {"id", "round_id", "sealed"}
        assert {row["round_id"] for row in pending} == {round_id}
        tokens = [base64.urlsafe_b64decode(row["sealed"]) for row in pending]
        assert len({len(token) for token in tokens}) == 1  # one length whatever the option
        assert all(token[1:9] == bytes(8) for token in tokens)  # Fernet's clock: always zero
        for row in pending:
            assert not {"no", "yes", "unsure", QUESTION} & set(row["sealed"].split('"'))
        if _postgres(attacker):
            # The person's transaction and the answer's are different transactions.
            person_side = set(_xmins(attacker, "confidential_responses"))
            person_side |= set(_xmins(attacker, "pulse_deliveries"))
            assert not set(_xmins(attacker, "confidential_pending")) & person_side
        # Ids are random: pairing the n-th mark with the n-th waiting answer by id (on SQLite
        # also the rowid) is a guess, even for someone holding the key.
        opened = [env.db.sealer.open(row["sealed"])["option"] for row in sorted(pending, key=_id)]
        assert opened != [CHOICES[p] for p in PEOPLE]
    finally:
        attacker.dispose()


def _id(row: dict) -> int:
    return row["id"]


def test_after_the_close_answers_exist_only_as_one_count_per_option(
    env: Env, database_url: str
) -> None:
    round_id, _ = _answer_all(env)
    assert round_id in env.tick(CLOSED).closed
    attacker = make_engine(database_url)
    try:
        with attacker.connect() as connection:
            tallies = connection.execute(
                text(
                    "SELECT option_key, count FROM confidential_tallies "
                    f"WHERE round_id = {round_id} ORDER BY option_key"
                )
            ).all()
            left = connection.scalar(text("SELECT count(*) FROM confidential_pending"))
        assert dict(tallies) == {"no": 4, "unsure": 4, "yes": 4}
        assert left == 0
        # No per-answer row survives, no column holds a time, and nothing leads to a person.
        schema = MetaData()
        schema.reflect(attacker, only=["confidential_tallies", "confidential_pending"])
        for name in ("confidential_tallies", "confidential_pending"):
            table = schema.tables[name]
            assert not PERSON_COLUMNS & set(table.columns.keys())
            assert not [c for c in table.columns if isinstance(c.type, DateTime)]
            assert {fk.column.table.name for fk in table.foreign_keys} == {"pulse_rounds"}
        if _postgres(attacker):
            # Every count was written by one transaction: the close, which counted all twelve.
            written_by = set(_xmins(attacker, "confidential_tallies"))
            assert len(written_by) == 1
            assert not written_by & set(_xmins(attacker, "confidential_responses"))
        else:
            with attacker.connect() as connection:
                order = [
                    k
                    for (k,) in connection.execute(
                        text("SELECT option_key FROM confidential_tallies ORDER BY rowid")
                    )
                ]
            assert order == sorted(order)  # written in key order, not in the order answered
    finally:
        attacker.dispose()


def test_old_row_versions_of_waiting_answers_hold_only_sealed_text(
    env: Env, database_url: str
) -> None:
    engine = make_engine(database_url)
    if not _postgres(engine):
        engine.dispose()
        pytest.skip("row versions on disk are a PostgreSQL matter")
    _answer_all(env)
    env.tick(CLOSED)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
    except DBAPIError as exc:
        engine.dispose()
        pytest.skip(f"pageinspect is not installable here: {exc.orig}")
    try:
        with engine.connect() as connection:
            items = connection.execute(
                text(
                    "SELECT t_xmax, t_data FROM heap_page_items("
                    "get_raw_page('confidential_pending', 0))"
                )
            ).all()
    finally:
        engine.dispose()
    dead = [bytes(data) for xmax, data in items if data is not None and int(xmax) != 0]
    assert len(dead) == len(PEOPLE)  # the deleted rows are still on the page...
    for data in dead:
        # ...and hold the round id and a sealed token: no option, no question, no person.
        assert b"gAAAAAAAAAAA" in data
        for plain in (b"unsure", b"yes", b'"no"', QUESTION.encode(), b"UP0"):
            assert plain not in data


def test_a_second_answer_is_refused_and_not_counted(env: Env) -> None:
    _, deliveries = _answer_all(env)
    again = pulse_answers.record(
        db=env.db,
        slack_team_id=env.slack.team_id,
        user_id=PEOPLE[0],
        delivery_id=deliveries[PEOPLE[0]],
        question_id=QUESTION,
        values=["yes"],
        now=MONDAY + timedelta(minutes=9),
    )
    assert again.refusal is Refusal.ALREADY_CONFIDENTIAL
    with env.db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM confidential_pending")) == 12


def test_without_a_secret_key_a_confidential_answer_stores_nothing(
    env: Env, database_url: str
) -> None:
    _, deliveries = _answer_all(env)
    keyless = Database.from_url(database_url)
    try:
        with env.db.unit_of_work() as session:
            session.execute(text("DELETE FROM confidential_responses"))
        with pytest.raises(SecretKeyMissing):
            pulse_answers.record(
                db=keyless,
                slack_team_id=env.slack.team_id,
                user_id=PEOPLE[0],
                delivery_id=deliveries[PEOPLE[0]],
                question_id=QUESTION,
                values=["yes"],
                now=MONDAY + timedelta(minutes=9),
            )
        with env.db.engine.connect() as connection:
            assert connection.scalar(text("SELECT count(*) FROM confidential_responses")) == 0
    finally:
        keyless.dispose()


def test_without_a_secret_key_no_confidential_question_is_asked(database_url: str) -> None:
    from datetime import UTC, datetime

    from atlas.questions import QUESTIONS, pulse_questions
    from bot.services import pulse, teams
    from bot.storage.db import Database
    from bot.storage.models import PulseRound

    confidential = {q.id for q in QUESTIONS if q.confidential}
    db = Database.from_url(database_url)  # no ATLAS_SECRET_KEY
    try:
        ref = teams.create_team(db=db, slack_team_id="T0KEYLESS", name="Keyless")
        started = pulse.start_now(db=db, team_id=ref.id, now=datetime(2026, 11, 30, tzinfo=UTC))
        with db.unit_of_work() as session:
            rnd = session.get(PulseRound, started.round_id)
            disabled = frozenset(rnd.disabled_questions)
            assert confidential <= disabled and rnd.rotating_question_id not in confidential
        # In no round, whatever its number, does a confidential question come up.
        for number in range(len(QUESTIONS) * 2):
            asked = {q.id for q in pulse_questions(number, disabled=disabled)}
            assert not asked & confidential
    finally:
        db.dispose()
