"""The storage interface every implementation keeps (the contract test in tests/ runs it
against each)."""

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# Storage keys are generated (secrets.token_hex), never derived from what a user typed.
KEY = re.compile(r"[0-9a-f]{32,64}")


@dataclass(frozen=True)
class StoredEntry:
    """One name in the store: a key, or a leftover (an interrupted write's temporary file)."""

    name: str
    modified_at: datetime  # aware, UTC
    size: int


class FileStorage(Protocol):
    """Keep file contents by key. `get` of an unknown key raises FileNotFoundError; every
    other failure to reach the store is an OSError."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def ready(self) -> None:
        """Return if the store can be read and written; raise OSError if not."""

    def entries(self) -> Iterator[StoredEntry]:
        """Yield every name in the store, keys and leftovers alike."""

    def discard(self, name: str) -> None:
        """Remove a name `entries` yielded (a key or a leftover)."""


def new_key() -> str:
    """Return a fresh random storage key."""
    return secrets.token_hex(16)


def check_key(key: object) -> str:
    """Return the key if it is one we generate; raise ValueError otherwise."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValueError("ogiltig lagringsnyckel")
    return key
