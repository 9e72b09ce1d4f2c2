"""Alembic migrations build the whole schema on an empty database, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.cli import alembic_config
from app.db import Base, make_engine


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_upgrade_empty_database_matches_models(empty_database_url, backend):
    from alembic import command

    engine = make_engine(empty_database_url(backend))
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert diff == [], diff


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_cli_db_upgrade_and_demo_load_are_repeatable(empty_database_url, backend):
    from tests.conftest import make_test_app

    app = make_test_app(empty_database_url(backend))
    try:
        _upgrade_and_load_twice(app)
    finally:
        app.extensions["db_engine"].dispose()


def _upgrade_and_load_twice(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo", "load"])
    assert "nya poster" in result.output
    result = runner.invoke(args=["demo", "load"])
    assert "Demodata finns redan" in result.output
    result = runner.invoke(args=["demo", "logins"])
    assert "handlaggare" in result.output and "demo1234" in result.output
