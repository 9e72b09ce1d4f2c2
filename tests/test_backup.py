"""`flask backup` / `flask restore`: the database and the stored files as one consistent set
with a manifest of checksums, restored into an empty database and an empty store."""

import hashlib
import json

import pytest
from sqlalchemy import func, select

from app.audit import AuditEvent, record_event
from app.db import Base, make_engine
from tests.conftest import login, make_test_app
from tests.s3server import new_bucket, s3_settings


def backend_of(app) -> str:
    return "postgres" if app.config["DATABASE_URL"].startswith("postgresql") else "sqlite"


def empty_app(app, empty_database_url, settings, *, migrated=False):
    """A second app on a new empty database (with the schema) and the given empty store."""
    url = empty_database_url(backend_of(app))
    engine = make_engine(url)
    if migrated:
        from alembic import command

        from app.cli import alembic_config

        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    else:
        Base.metadata.create_all(engine)
    engine.dispose()
    return make_test_app(url, **settings)


@pytest.fixture
def other_store(storage_settings, tmp_path, s3_endpoint):
    """An empty store of the other kind: a backup of local files restores into S3 and back."""
    if storage_settings["STORAGE"] == "s3":
        return {"STORAGE": "local", "UPLOAD_DIR": str(tmp_path / "aterstallda")}
    return s3_settings(s3_endpoint, new_bucket(s3_endpoint))


def row_counts(app) -> dict[str, int]:
    with app.extensions["sessions"]() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


def test_a_restored_backup_serves_every_download_with_its_hash(
        app, runner, documents, tmp_path, empty_database_url, other_store):
    """Before: the README's pg_dump left the upload folder out, and after a restore every
    letter, batch file and attachment download answered 500."""
    backup_dir = tmp_path / "kopia"
    result = runner.invoke(args=["backup", str(backup_dir)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["files"] == {d.key: d.sha256 for d in documents}
    dump = (backup_dir / "database.jsonl").read_bytes()
    assert manifest["database"]["sha256"] == hashlib.sha256(dump).hexdigest()
    # every table but the case search, which the database's triggers fill on restore
    assert manifest["database"]["rows"] == {
        name: count for name, count in row_counts(app).items() if name != "case_search"}

    restored = empty_app(app, empty_database_url, other_store)
    try:
        result = restored.test_cli_runner().invoke(args=["restore", str(backup_dir)])
        assert result.exit_code == 0, result.output
        assert row_counts(restored) == row_counts(app)
        for document in documents:
            client = restored.test_client()
            login(client, document.username)
            response = client.get(document.url)
            assert response.status_code == 200, document
            assert hashlib.sha256(response.data).hexdigest() == document.sha256, document
        check = restored.test_cli_runner().invoke(args=["storage", "check"])
        assert check.exit_code == 0, check.output
        with restored.extensions["sessions"]() as session:  # ids go on after the restored ones
            largest = session.scalar(select(func.max(AuditEvent.id)))
            event = record_event(session, "after_restore", "Efter återställningen")
            session.commit()
            assert event.id == largest + 1
        again = restored.test_cli_runner().invoke(args=["restore", str(backup_dir)])
        assert again.exit_code == 1 and "inte tom" in again.output
    finally:
        restored.extensions["db_engine"].dispose()


def test_restore_verifies_the_manifest_before_it_writes_anything(
        app, runner, documents, tmp_path, empty_database_url, other_store):
    backup_dir = tmp_path / "kopia"
    assert runner.invoke(args=["backup", str(backup_dir)]).exit_code == 0
    changed = next(d for d in documents if d.kind == "beslutsbrev")
    (backup_dir / "files" / changed.key).write_bytes(b"not the letter")
    restored = empty_app(app, empty_database_url, other_store)
    try:
        result = restored.test_cli_runner().invoke(args=["restore", str(backup_dir)])
        assert result.exit_code == 1
        assert f"files/{changed.key} saknas eller stämmer inte med manifestet" in result.output
        assert set(row_counts(restored).values()) == {0}
        assert restored.test_cli_runner().invoke(args=["storage", "check"]).exit_code == 0
    finally:
        restored.extensions["db_engine"].dispose()


def test_restore_refuses_a_database_at_another_revision(app, runner, demo, tmp_path,
                                                         empty_database_url):
    backup_dir = tmp_path / "kopia"
    assert runner.invoke(args=["backup", str(backup_dir)]).exit_code == 0
    restored = empty_app(app, empty_database_url,
                         {"UPLOAD_DIR": str(tmp_path / "annan")}, migrated=True)
    try:
        result = restored.test_cli_runner().invoke(args=["restore", str(backup_dir)])
        assert result.exit_code == 1 and "revision" in result.output
    finally:
        restored.extensions["db_engine"].dispose()


def test_backup_refuses_a_folder_that_is_not_empty_and_a_missing_file(
        app, runner, documents, app_storage, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = runner.invoke(args=["backup", str(tmp_path / "full")])
    assert result.exit_code == 1 and "inte tom" in result.output
    app_storage.delete(documents[0].key)
    result = runner.invoke(args=["backup", str(tmp_path / "ny")])
    assert result.exit_code == 1 and "filen saknas" in result.output


def test_a_backup_taken_while_files_are_added_is_one_consistent_set(
        app, sessions, session, demo, upload_dir, tmp_path):
    """The dump and the copied files come from one snapshot: every attachment row in the dump
    has its file in the backup and no file is there without its row, while a writer keeps
    adding attachments (with READ COMMITTED the two reads would see different rows)."""
    import threading

    from app.attachments.operations import store_uploads
    from app.backup import create_backup
    from app.db import utcnow
    from app.storage import LocalFileStorage
    from tests.attachment_files import LIMIT, pdf_bytes
    from tests.factories import make_application

    application = make_application(session, app.extensions["engine"])
    storage = LocalFileStorage(upload_dir)
    stop, added = threading.Event(), []

    def writer():
        while not stop.is_set():
            with sessions() as writing:
                store_uploads(writing, storage, instance_id=application.process_instance_id,
                              field="bilagor", files=[(f"{len(added)}.pdf", pdf_bytes())],
                              user_id=application.created_by_id, max_bytes=LIMIT)
                writing.commit()
            added.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(added) < 5:
            stop.wait(0.01)
        summary = create_backup(app.extensions["db_engine"], storage, tmp_path / "kopia",
                                now=utcnow())
    finally:
        stop.set()
        thread.join()
    rows = [json.loads(line) for line in
            (tmp_path / "kopia" / "database.jsonl").read_text().splitlines()[1:]]
    keys = {item["row"]["key"] for item in rows if item["table"] == "attachments"}
    manifest = json.loads((tmp_path / "kopia" / "manifest.json").read_text())
    assert keys == set(manifest["files"]) and len(keys) == summary.files >= 5
    assert sorted(p.name for p in (tmp_path / "kopia" / "files").iterdir()) == sorted(keys)
