"""Stored files: the FileStorage contract on local disk and on a real S3-compatible server,
files that live only with their transaction, `flask storage check|sweep`, and the 503 page of
a download whose file is gone."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.storage import LocalFileStorage, delete_in_transaction, put_in_transaction
from app.storage.s3 import S3FileStorage
from app.storage.settings import storage_from_config
from tests.s3server import free_port, new_bucket, s3_settings

OLD = 2 * 24 * 3600  # seconds: older than the sweep's day


def age(storage, name: str, seconds: int) -> None:
    """Make a stored entry look `seconds` old (local disk: its mtime; S3: not possible)."""
    path = storage.root / name
    past = datetime.now(UTC).timestamp() - seconds
    os.utime(path, (past, past))


# The contract ---------------------------------------------------------------------------------

def test_every_storage_keeps_the_contract(file_storage):
    key = "a" * 32
    file_storage.ready()
    assert list(file_storage.entries()) == []
    file_storage.put(key, "innehåll".encode())
    assert file_storage.get(key) == "innehåll".encode()
    file_storage.put(key, b"nytt")
    assert file_storage.get(key) == b"nytt"
    [entry] = file_storage.entries()
    assert (entry.name, entry.size) == (key, 4)
    assert abs(entry.modified_at - datetime.now(UTC)) < timedelta(minutes=5)
    file_storage.delete(key)
    file_storage.delete(key)  # deleting twice is fine
    with pytest.raises(FileNotFoundError):
        file_storage.get(key)
    assert list(file_storage.entries()) == []
    for bad in ["../etc/passwd", "A" * 32, "a" * 31, "", None]:
        with pytest.raises(ValueError):
            file_storage.put(bad, b"x")
        with pytest.raises(ValueError):
            file_storage.get(bad)
    file_storage.put("b" * 32, b"x")
    file_storage.discard("b" * 32)
    assert list(file_storage.entries()) == []


def test_s3_objects_are_in_the_bucket_on_the_server(s3_endpoint):
    settings = s3_settings(s3_endpoint, new_bucket(s3_endpoint))
    storage = storage_from_config(settings)
    assert isinstance(storage, S3FileStorage)
    storage.put("c" * 32, b"pdf")
    listed = storage.client.list_objects_v2(Bucket=settings["S3_BUCKET"])["Contents"]
    assert [item["Key"] for item in listed] == ["c" * 32]
    assert storage_from_config(dict(settings)) is storage  # one client per setting


def test_ready_raises_oserror_when_the_store_cannot_be_reached(tmp_path, s3_endpoint):
    (tmp_path / "fil").write_bytes(b"")
    with pytest.raises(OSError):
        LocalFileStorage(tmp_path / "fil").ready()  # the folder is a file
    with pytest.raises(OSError):
        storage_from_config(s3_settings(s3_endpoint, "finns-inte")).ready()
    closed = storage_from_config(s3_settings(f"http://127.0.0.1:{free_port()}", "b"))
    with pytest.raises(OSError):
        closed.ready()
    with pytest.raises(OSError):
        closed.get("d" * 32)


def test_an_unknown_storage_setting_is_refused():
    with pytest.raises(ValueError, match="STORAGE"):
        storage_from_config({"STORAGE": "ftp", "UPLOAD_DIR": "/tmp"})


# Files live only with their transaction -------------------------------------------------------

def test_a_transaction_that_ends_without_commit_leaves_no_file(sessions, file_storage):
    """Before: only an explicit rollback() deleted the files; a session closed after an error
    (what a request's teardown does) kept them, without any row naming them."""
    with pytest.raises(RuntimeError), sessions() as session:
        put_in_transaction(session, file_storage, b"brev")
        raise RuntimeError("the step failed")
    with sessions() as session:
        put_in_transaction(session, file_storage, b"sie")
        session.rollback()
    with sessions() as session:
        put_in_transaction(session, file_storage, b"xlsx")
    assert list(file_storage.entries()) == []
    with sessions() as session:
        kept = put_in_transaction(session, file_storage, b"kept")
        session.commit()
    assert file_storage.get(kept) == b"kept"


def test_a_savepoint_rolled_back_deletes_its_files_a_released_one_keeps_them(
        sessions, file_storage):
    with sessions() as session:
        session.execute(text("SELECT 1"))
        with session.begin_nested() as savepoint:
            dropped = put_in_transaction(session, file_storage, b"dropped")
            savepoint.rollback()
        with session.begin_nested():
            released = put_in_transaction(session, file_storage, b"released")
        session.commit()
    assert file_storage.get(released) == b"released"
    with pytest.raises(FileNotFoundError):
        file_storage.get(dropped)
    with sessions() as session:  # released into a transaction that then rolls back: gone
        session.execute(text("SELECT 1"))
        with session.begin_nested():
            gone = put_in_transaction(session, file_storage, b"gone")
        session.rollback()
    with pytest.raises(FileNotFoundError):
        file_storage.get(gone)


def test_a_deletion_happens_only_when_it_commits(sessions, file_storage):
    with sessions() as session:
        key = put_in_transaction(session, file_storage, b"x")
        session.commit()
    with sessions() as session:
        delete_in_transaction(session, file_storage, key)
        session.rollback()
    assert file_storage.get(key) == b"x"
    with sessions() as session:
        delete_in_transaction(session, file_storage, key)
        session.commit()
    with pytest.raises(FileNotFoundError):
        file_storage.get(key)


# flask storage check | sweep ------------------------------------------------------------------

def test_storage_check_finds_missing_changed_and_orphaned_files(app, runner, documents,
                                                                app_storage):
    """Before: nothing compared the rows with the files (a restore without the upload folder
    went unnoticed until a download answered 500)."""
    kinds = {d.kind for d in documents}
    assert kinds == {"bilaga", "beslutsbrev", "batchfil"}
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 0, result.output
    assert f"{len(documents)} lagrade filer kontrollerade: 0 saknas" in result.output

    letter = next(d for d in documents if d.kind == "beslutsbrev")
    batch_file = next(d for d in documents if d.kind == "batchfil")
    app_storage.delete(letter.key)
    app_storage.put(batch_file.key, b"changed after export")
    app_storage.put("e" * 32, b"no row names me")
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 1
    assert "SAKNAS: beslutsbrev" in result.output and letter.key in result.output
    assert "FEL KONTROLLSUMMA: batchfil" in result.output and batch_file.key in result.output
    assert f"FÖRÄLDRALÖS: {'e' * 32}" in result.output
    assert "1 saknas, 1 med fel kontrollsumma, 1 föräldralösa" in result.output


def test_sweep_removes_only_orphans_older_than_the_setting(session, documents, app_storage):
    from app.storage.inventory import sweep_storage

    app_storage.put("f" * 32, b"a crash left me")
    named = {d.key for d in documents}
    now = datetime.now(UTC)
    assert sweep_storage(session, app_storage, now=now, min_age=timedelta(hours=24)) == []
    removed = sweep_storage(session, app_storage, now=now + timedelta(hours=25),
                            min_age=timedelta(hours=24))
    session.commit()
    assert [entry.name for entry in removed] == ["f" * 32]
    assert {entry.name for entry in app_storage.entries()} == named
    event = session.execute(text(
        "SELECT action, details FROM audit_events WHERE action = 'storage_swept'")).one()
    assert "f" * 32 in str(event.details)


def test_flask_storage_sweep_removes_old_orphans_and_upload_leftovers(app, runner, upload_dir,
                                                                      sessions):
    """Before: an interrupted write's `.upload-*.tmp` and a crashed step's file stayed
    forever."""
    storage = LocalFileStorage(upload_dir)
    with sessions() as session:
        kept = put_in_transaction(session, storage, b"named by a row? no: but young")
        session.commit()
    (upload_dir / ".upload-abc123.tmp").write_bytes(b"half a file")
    storage.put("9" * 32, b"old orphan")
    age(storage, ".upload-abc123.tmp", OLD)
    age(storage, "9" * 32, OLD)
    result = runner.invoke(args=["storage", "sweep"])
    assert result.exit_code == 0, result.output
    assert "2 föräldralösa filer äldre än 24 timmar borttagna" in result.output
    assert sorted(os.listdir(upload_dir)) == [kept]  # young: its transaction may be open


# A stored file that is gone: 503 naming the document ----------------------------------------

@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_missing_file_is_a_503_naming_the_document(app, documents, app_storage, lang):
    """Before: every such download answered 500."""
    from tests.conftest import login
    from tests.test_i18n import switch_language

    wanted = {"bilaga": ("bilagan", "the attachment"),
              "beslutsbrev": ("beslutsbrevet", "the decision letter"),
              "batchfil": ("batchfilen", "the batch file")}
    for kind in wanted:
        document = next(d for d in documents if d.kind == kind)
        client = app.test_client()
        login(client, document.username)
        if lang == "en":
            switch_language(client, "en")
        assert client.get(document.url).status_code == 200
        app_storage.delete(document.key)
        response = client.get(document.url)
        assert response.status_code == 503, kind
        assert response.headers["Retry-After"] == "300"
        page = response.get_data(as_text=True)
        name = wanted[kind][0 if lang == "sv" else 1]
        assert f"{name} ”{document.name}”" in page, page


def test_the_app_does_not_start_with_an_unknown_storage(database_url):
    from tests.conftest import make_test_app

    with pytest.raises(SystemExit, match="STORAGE"):
        make_test_app(database_url, STORAGE="s4")


def test_every_column_holding_a_storage_key_is_in_the_inventory():
    """check, sweep and backup know the stored files only through STORED_COLUMNS."""
    from app.db import Base
    from app.storage.inventory import STORED_COLUMNS

    not_files = {("login_throttles", "key")}  # a throttle counter's key, not a stored file
    holding = {(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns
               if c.name == "key" or c.name.endswith("storage_key")} - not_files
    assert holding == {(model.__tablename__, column.key)
                       for _, model, column, *_ in STORED_COLUMNS}
    for _, model, *_ in STORED_COLUMNS:
        assert "sha256" in model.__table__.columns
