"""Alembic migrations build the whole schema on an empty database, on both backends."""

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect

from app.cli import alembic_config
from app.db import Base, make_engine
from app.grants.search import SEARCH_OBJECTS

QUOTED = re.compile(r"'([^']*)'")


@pytest.fixture(params=["sqlite", "postgres"])
def migrated(request, empty_database_url):
    """An engine on an empty database brought to head by the migrations."""
    from alembic import command

    engine = make_engine(empty_database_url(request.param))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    yield engine
    engine.dispose()


def test_upgrade_empty_database_matches_models(migrated):
    with migrated.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_name": lambda name, *_: name not in SEARCH_OBJECTS})
        diff = compare_metadata(context, Base.metadata)
    assert set(Base.metadata.tables) <= tables
    assert {"case_search_fts"} <= tables or migrated.dialect.name != "sqlite"
    assert diff == [], diff


def test_migrated_check_constraints_allow_what_the_models_allow(migrated):
    """Autogenerate does not compare CHECK constraints: compare the values they list."""
    with migrated.connect() as connection:
        inspector = inspect(connection)
        for table in Base.metadata.sorted_tables:
            reflected = {c["name"]: c["sqltext"]
                         for c in inspector.get_check_constraints(table.name)}
            for constraint in table.constraints:
                if isinstance(constraint, CheckConstraint):
                    name = constraint.name
                    assert name in reflected, f"{table.name}: {name} missing"
                    assert QUOTED.findall(reflected[name]) == QUOTED.findall(
                        str(constraint.sqltext)), (table.name, name, reflected[name])


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
