"""Migrations build exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from bot.storage import migrations
from bot.storage.db import Database, make_engine
from bot.storage.models import Base, Member, Role, Team, Workspace


def test_a_fresh_upgrade_leaves_autogenerate_nothing_to_add(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert migrations.current_revision(engine) is None
        migrations.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
        assert migrations.current_revision(engine) is not None
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back_up_works(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        from alembic import command

        config = migrations.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(engine)
        assert {"workspaces", "teams", "members"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _workspace_and_team(db: Database) -> tuple[int, int]:
    with db.unit_of_work() as session:
        workspace = Workspace(slack_team_id="T1")
        session.add(workspace)
        session.flush()
        team = Team(workspace_id=workspace.id, name="Sales")
        session.add(team)
        session.flush()
        return workspace.id, team.id


def test_a_team_gets_the_documented_defaults(database_url: str) -> None:
    db = Database.from_url(database_url)
    _, team_id = _workspace_and_team(db)
    with db.unit_of_work() as session:
        team = session.get(Team, team_id)
        assert (team.min_group_size, team.timezone, team.rollout_start) == (5, "UTC", None)
        assert team.created_at.tzinfo is not None
    db.dispose()


@pytest.mark.parametrize("size", [2, 11])
def test_minimum_group_size_outside_3_to_10_is_refused(database_url: str, size: int) -> None:
    db = Database.from_url(database_url)
    _, team_id = _workspace_and_team(db)
    with pytest.raises(IntegrityError), db.unit_of_work() as session:
        session.get(Team, team_id).min_group_size = size
    db.dispose()


def test_a_person_is_in_a_team_once(database_url: str) -> None:
    db = Database.from_url(database_url)
    workspace_id, team_id = _workspace_and_team(db)
    with db.unit_of_work() as session:
        session.add(
            Member(
                workspace_id=workspace_id, team_id=team_id, slack_user_id="U1", role=Role.AI_LEAD
            )
        )
    with pytest.raises(IntegrityError), db.unit_of_work() as session:
        session.add(Member(workspace_id=workspace_id, team_id=team_id, slack_user_id="U1"))
    with db.unit_of_work() as session:
        member = session.query(Member).one()
        assert member.role is Role.AI_LEAD and member.active
    db.dispose()


def test_an_unknown_role_is_refused(database_url: str) -> None:
    from sqlalchemy import text

    db = Database.from_url(database_url)
    workspace_id, team_id = _workspace_and_team(db)
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO members (workspace_id, team_id, slack_user_id, role, active, "
                "joined_at) VALUES (:w, :t, 'U9', 'boss', true, CURRENT_TIMESTAMP)"
            ),
            {"w": workspace_id, "t": team_id},
        )
    db.dispose()


def test_deleting_a_workspace_removes_its_teams_and_members(database_url: str) -> None:
    db = Database.from_url(database_url)
    workspace_id, team_id = _workspace_and_team(db)
    with db.unit_of_work() as session:
        session.add(Member(workspace_id=workspace_id, team_id=team_id, slack_user_id="U1"))
    with db.unit_of_work() as session:
        session.delete(session.get(Workspace, workspace_id))
    with db.unit_of_work() as session:
        assert session.query(Team).count() == 0 and session.query(Member).count() == 0
    db.dispose()


def test_upgrading_a_database_with_data_keeps_it_and_fills_new_columns(
    empty_database_url: str,
) -> None:
    from sqlalchemy import text

    engine = make_engine(empty_database_url)
    try:
        migrations.upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO workspaces (id, slack_team_id, installed_at, active) "
                    "VALUES (1, 'T1', CURRENT_TIMESTAMP, true)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO teams (id, workspace_id, name, timezone, min_group_size, "
                    "created_at, updated_at) VALUES (1, 1, 'Sales', 'UTC', 5, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP)"
                )
            )
        migrations.upgrade(engine)
        db = Database(engine)
        with db.unit_of_work() as session:
            team = session.get(Team, 1)
            assert team.name == "Sales" and team.pulse_enabled is True
            assert (team.pulse_weekday, team.reminder_delay_hours) == (0, 24)
            assert team.pulse_time.hour == 10
    finally:
        engine.dispose()
