"""Stored files benchmark: put/get on local disk and on an S3-compatible server (moto in
server mode on loopback), and `backup` / `storage check` / `restore` of a database with N
attachments.

    .venv/bin/python bench/storage.py [--files 500] [--size 200000] [--database-url URL]

Without --database-url the database is a new SQLite file; with a PostgreSQL URL it must be an
empty database (and a second one is made next to it for the restore: URL + "_restore").
Prints milliseconds per put/get (median, p95) and seconds for backup, check and restore.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.attachments.operations import store_uploads  # noqa: E402
from app.backup import create_backup, restore_backup  # noqa: E402
from app.db import Base, make_engine, utcnow  # noqa: E402
from app.demo import load_demo  # noqa: E402
from app.formatting import local_today  # noqa: E402
from app.storage import LocalFileStorage, new_key, storage_from_config  # noqa: E402
from app.storage.inventory import check_storage  # noqa: E402
from tests.attachment_files import pdf_bytes  # noqa: E402
from tests.factories import make_application  # noqa: E402
from tests.s3server import new_bucket, running_s3_server, s3_settings  # noqa: E402


def timed_ms(action, rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def put_get(storage, data: bytes, rounds: int = 200) -> str:
    keys = [new_key() for _ in range(rounds)]
    put = timed_ms(lambda: storage.put(keys.pop(), data), rounds)
    key = new_key()
    storage.put(key, data)
    get = timed_ms(lambda: storage.get(key), rounds)
    return f"put {put[0]:.2f}/{put[1]:.2f} ms, get {get[0]:.2f}/{get[1]:.2f} ms (median/p95)"


def schema(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tf-bench-storage-"))
    data = pdf_bytes() + b"%" * max(0, args.size - len(pdf_bytes()))

    with running_s3_server() as endpoint:
        print(f"local disk, {len(data)} B: {put_get(LocalFileStorage(work / 'put'), data)}")
        s3 = storage_from_config(s3_settings(endpoint, new_bucket(endpoint)))
        print(f"S3 (moto server, loopback), {len(data)} B: {put_get(s3, data)}")

    url = args.database_url or f"sqlite:///{work / 'source.db'}"
    target_url = (f"{args.database_url}_restore" if args.database_url
                  else f"sqlite:///{work / 'target.db'}")
    schema(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "UPLOAD_DIR": str(work / "src")})
    storage = storage_from_config(app.config)
    with app.extensions["sessions"]() as session:
        load_demo(session, local_today())
        session.commit()
        application = make_application(session, app.extensions["engine"])
        for number in range(args.files):
            store_uploads(session, storage, instance_id=application.process_instance_id,
                          field="bilagor", files=[(f"{number}.pdf", data)],
                          user_id=application.created_by_id, max_bytes=len(data) + 1)
            session.commit()
        start = time.perf_counter()
        report = check_storage(session, storage)
        check_s = time.perf_counter() - start
    start = time.perf_counter()
    summary = create_backup(app.extensions["db_engine"], storage, work / "backup", now=utcnow())
    backup_s = time.perf_counter() - start
    schema(target_url)
    target_engine = make_engine(target_url)
    start = time.perf_counter()
    restored = restore_backup(target_engine, LocalFileStorage(work / "dst"), work / "backup")
    restore_s = time.perf_counter() - start
    rows, dialect = sum(summary.rows.values()), app.extensions["db_engine"].dialect.name
    print(f"{args.files} attachments of {len(data)} B, {rows} rows ({dialect}):"
          f" storage check {check_s:.2f} s ({report.checked} files, ok={report.ok}),"
          f" backup {backup_s:.2f} s, restore {restore_s:.2f} s"
          f" ({sum(restored.rows.values())} rows, {restored.files} files)")


if __name__ == "__main__":
    main()
