"""Files in one folder on local disk, named by their key."""

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from app.storage.files import StoredEntry, check_key

# An interrupted put leaves its temporary file under this prefix (swept like an orphan).
TEMP_PREFIX = ".upload-"


class LocalFileStorage:
    """Files in one folder on local disk, named by their key."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        """Write the file atomically: a reader sees the whole file or none."""
        target = self._path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=TEMP_PREFIX, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def ready(self) -> None:
        """Raise OSError unless the folder exists (or can be made) and is writable."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"{self.root} är inte skrivbar")

    def entries(self) -> Iterator[StoredEntry]:
        if not self.root.is_dir():
            return
        with os.scandir(self.root) as found:
            for entry in found:
                if entry.is_file(follow_symlinks=False):
                    stat = entry.stat(follow_symlinks=False)
                    yield StoredEntry(entry.name, datetime.fromtimestamp(stat.st_mtime, UTC),
                                      stat.st_size)

    def discard(self, name: str) -> None:
        if name.startswith(TEMP_PREFIX) and "/" not in name and os.sep not in name:
            (self.root / name).unlink(missing_ok=True)
        else:
            self.delete(name)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)
