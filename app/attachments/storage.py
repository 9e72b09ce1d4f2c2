"""Where attached files are kept: a small interface and a local-disk implementation."""

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

# Storage keys are generated (secrets.token_hex), never derived from what a user typed.
KEY = re.compile(r"[0-9a-f]{32,64}")


class FileStorage(Protocol):
    """Keep file contents by key. `get` of an unknown key raises FileNotFoundError."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalFileStorage:
    """Files in one folder on local disk, named by their key."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        """Write the file atomically: a reader sees the whole file or none."""
        target = self._path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-", suffix=".tmp")
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

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not KEY.fullmatch(key):
            raise ValueError("ogiltig lagringsnyckel")
        return self.root / key


def storage_from_config(config: Mapping) -> FileStorage:
    """Return the storage the settings name (`UPLOAD_DIR`)."""
    return LocalFileStorage(Path(config["UPLOAD_DIR"]))
