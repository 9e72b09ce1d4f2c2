"""Infrastructure fixtures. Every database test runs on SQLite and on PostgreSQL."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.db import Base, make_engine
from app.demo import load_demo
from app.engine.instances import Engine
from app.formatting import local_today
from tests.postgres import (
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    postgres_reachable,
)

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_sessionstart(session):
    if IN_CI and not postgres_reachable():
        pytest.exit(f"CI=true but PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}",
                    returncode=3)


@pytest.fixture(scope="session")
def empty_database_url(tmp_path_factory):
    """A factory of empty databases: call it with "sqlite" or "postgres"."""
    created = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        if not postgres_reachable():
            pytest.skip("PostgreSQL is not reachable")
        created.append(create_postgres_database())
        return created[-1]

    yield make
    for url in created:
        drop_postgres_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request, empty_database_url):
    """A database with the schema, once per backend for the whole run."""
    url = empty_database_url(request.param)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def make_test_app(database_url: str, **overrides):
    config = {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "TESTING": True,
              "ENVIRONMENT": "development",
              "UPLOAD_DIR": tempfile.mkdtemp(prefix="tf-uploads-")}
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url):
    app = make_test_app(database_url)
    yield app
    app.extensions["db_engine"].dispose()


def wipe(db_engine) -> None:
    """Delete every row (the schema stays)."""
    with db_engine.begin() as connection:
        if db_engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def sessions(app):
    """The app's session factory; every row is deleted after the test."""
    yield app.extensions["sessions"]
    wipe(app.extensions["db_engine"])


@pytest.fixture
def session(app, sessions):
    """A session for single-threaded test code. On SQLite it begins deferred, so a test that
    keeps it open between steps does not hold the write lock the code under test needs."""
    with app.extensions["read_sessions"]() as session_:
        yield session_


class FreshEngine:
    """Runs every call on a new Engine that has seen no instance and cached no spec, as a
    restarted server or another worker would: each step reloads its instance from the database
    into specs built anew from the stored version."""

    def __init__(self, engine: Engine):
        self.original = engine

    def __getattr__(self, name):
        value = getattr(self.original, name)
        if name.startswith("_") or not callable(value):
            return value
        engine = self.original
        fresh = Engine(engine.catalogue, engine.operations, engine.config,
                       on_saved=engine.on_saved, choices=engine.choices, checks=engine.checks)
        return getattr(fresh, name)


@pytest.fixture(params=["same-engine", "fresh-engine"])
def engine(request, app):
    """The app's engine, and (second run) a fresh engine for every step, also behind the web
    pages: every engine test proves that a case survives a restart between any two steps."""
    original = app.extensions["engine"]
    if request.param == "same-engine":
        yield original
        return
    app.extensions["engine"] = FreshEngine(original)
    try:
        yield app.extensions["engine"]
    finally:
        app.extensions["engine"] = original


@pytest.fixture
def demo(sessions):
    """Load the demo data; return the users by username."""
    from sqlalchemy import select

    from app.accounts.models import User

    with sessions() as session_:
        load_demo(session_, local_today())
        session_.commit()
        return {u.username: u for u in session_.scalars(select(User))}


@pytest.fixture
def client(app, sessions):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def upload_dir(app, tmp_path):
    """Uploads go to a fresh folder for this test (the storage is built per request)."""
    before = app.config["UPLOAD_DIR"]
    app.config["UPLOAD_DIR"] = str(tmp_path)
    yield tmp_path
    app.config["UPLOAD_DIR"] = before


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/logga-in") -> str:
    """Read the CSRF token of the client's session from a page."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = "demo1234"):
    """Log the client in through the login form."""
    token = csrf_token(client)
    response = client.post("/logga-in", data={"username": username, "password": password,
                                             "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium (Debian's, driven by Playwright) for the whole run."""
    from tests.browser import launched_chromium

    with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def alla():
    """The fixture form with one field of every supported type."""
    from app.forms import load_form

    return load_form(FIXTURES / "forms" / "fieldtypes", "alla")


@pytest.fixture(scope="session")
def real_forms():
    """The catalogue of forms/ (the real form files)."""
    from app.config import ROOT
    from app.forms import load_catalogue

    return load_catalogue(ROOT / "forms")


# Stored files: an S3-compatible server and a store of either kind --------------------------

@pytest.fixture(scope="session")
def s3_endpoint():
    """moto in server mode on 127.0.0.1, once per test process."""
    from tests.s3server import running_s3_server

    with running_s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
def storage_settings(request, tmp_path):
    """The settings of an empty store: a new folder, or a new bucket on the S3 server."""
    from tests.s3server import new_bucket, s3_settings

    if request.param == "local":
        return {"STORAGE": "local", "UPLOAD_DIR": str(tmp_path / "filer")}
    endpoint = request.getfixturevalue("s3_endpoint")
    return s3_settings(endpoint, new_bucket(endpoint))


@pytest.fixture
def file_storage(storage_settings):
    from app.storage import storage_from_config

    return storage_from_config(storage_settings)


@pytest.fixture
def app_storage(app, storage_settings):
    """The app (its web requests and its engine's service tasks) on an empty store."""
    from app.storage import storage_from_config

    engine = app.extensions["engine"]
    before = {key: app.config.get(key) for key in storage_settings}
    app.config.update(storage_settings)
    engine.config.update(storage_settings)
    yield storage_from_config(storage_settings)
    app.config.update(before)
    engine.config.update(before)


@pytest.fixture
def documents(app, app_storage, session, demo):
    """Demo cases whose letters, batch files and an attachment are in the store."""
    from tests.stored_documents import store_documents

    return store_documents(session, app.extensions["engine"], app_storage)
