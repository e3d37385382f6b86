"""Confidential answers cannot be traced to a person: no key, no column, no order joins them."""

from __future__ import annotations

from sqlalchemy import MetaData, inspect, text

from bot.storage.db import make_engine
from bot.storage.models import Base, ConfidentialPending, ConfidentialResponse, ConfidentialTally

PERSON_TABLES = {"members", "pulse_deliveries", "confidential_responses", "pulse_answers"}


def test_the_tally_table_has_no_path_to_a_person_in_the_models() -> None:
    tally = ConfidentialTally.__table__
    referenced = {fk.column.table.name for fk in tally.foreign_keys}
    assert referenced == {"pulse_rounds"}  # a round, shared by everyone in it
    assert not referenced & PERSON_TABLES
    # What it shares with the who-responded table is only the question: never a person's key.
    shared = set(tally.columns.keys()) & set(ConfidentialResponse.__table__.columns.keys())
    assert shared == {"question_id"}
    # One row stands for everyone who chose an option: there is no per-answer row to link.
    assert {c.name for c in tally.primary_key} == {
        "round_id",
        "question_id",
        "question_version",
        "option_key",
    }
    assert not {"id", "created_at", "answered_at", "member_id", "delivery_id", "user_id"} & set(
        tally.columns.keys()
    )


def test_a_waiting_answer_holds_its_round_and_a_sealed_token_and_nothing_else() -> None:
    pending = ConfidentialPending.__table__
    assert set(pending.columns.keys()) == {"id", "round_id", "sealed"}
    assert {fk.column.table.name for fk in pending.foreign_keys} == {"pulse_rounds"}
    assert pending.c.id.autoincrement is False  # random ids: their order is not the arrival order


def test_the_migrated_schema_agrees_and_rounds_lead_to_no_person(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        reflected = MetaData()
        reflected.reflect(engine)
        tally = reflected.tables["confidential_tallies"]
        assert {fk.column.table.name for fk in tally.foreign_keys} == {"pulse_rounds"}
        rounds = reflected.tables["pulse_rounds"]
        assert not {fk.column.table.name for fk in rounds.foreign_keys} & PERSON_TABLES
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_every_join_between_who_answered_and_what_was_answered_is_ambiguous(
    database_url: str,
) -> None:
    """Join on everything the two tables could possibly share: each person matches every option."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO workspaces (id, slack_team_id, installed_at, active) "
                "VALUES (1, 'T1', CURRENT_TIMESTAMP, true)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO teams (id, workspace_id, name, timezone, min_group_size, created_at, "
                "updated_at, pulse_enabled, pulse_weekday, pulse_time, working_days, quiet_start, "
                "quiet_end, close_after_days, catchup_grace_hours, include_guests) "
                "VALUES (1, 1, 'T', 'UTC', 5, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, true, 0, "
                "'10:00:00', '0,1,2,3,4', '19:00:00', '08:00:00', 4, 12, false)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO pulse_rounds (id, workspace_id, team_id, local_date, number, status, "
                "disabled_questions, due_at, manual, closes_at, created_at) VALUES (1, 1, 1, "
                "'2026-11-30', 0, 'open', '[]', CURRENT_TIMESTAMP, false, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )
        for n, user in enumerate(("UA", "UB", "UC"), start=1):
            connection.execute(
                text(
                    "INSERT INTO members (id, workspace_id, team_id, slack_user_id, role, active, "
                    "joined_at, is_bot, is_deleted, is_guest, paused) VALUES "
                    f"({n}, 1, 1, '{user}', 'member', true, CURRENT_TIMESTAMP, false, false, "
                    "false, false)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO pulse_deliveries (id, workspace_id, round_id, member_id, status, "
                    "question_ids, due_at, attempts) VALUES "
                    f"({n}, 1, 1, {n}, 'sent', '[]', CURRENT_TIMESTAMP, 0)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO confidential_responses (delivery_id, question_id) "
                    f"VALUES ({n}, 'confidential_paste')"
                )
            )
        for option, count in (("yes", 1), ("no", 2)):
            connection.execute(
                text(
                    "INSERT INTO confidential_tallies (round_id, question_id, question_version, "
                    f"option_key, count) VALUES (1, 'confidential_paste', 1, '{option}', {count})"
                )
            )
        pairs = connection.execute(
            text(
                "SELECT m.slack_user_id, t.option_key FROM confidential_responses r "
                "JOIN pulse_deliveries d ON d.id = r.delivery_id "
                "JOIN members m ON m.id = d.member_id "
                "JOIN confidential_tallies t ON t.round_id = d.round_id "
                "AND t.question_id = r.question_id"
            )
        ).all()
    engine.dispose()
    by_person: dict[str, set[str]] = {}
    for user, option in pairs:
        by_person.setdefault(user, set()).add(option)
    # The closest possible join ties each person to every option: it says nothing about anyone.
    assert by_person == {"UA": {"yes", "no"}, "UB": {"yes", "no"}, "UC": {"yes", "no"}}
