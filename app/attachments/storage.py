"""Moved to `app.storage` (it serves letters and payout batches too); kept for old imports."""

from app.storage import (  # noqa: F401
    KEY,
    FileStorage,
    LocalFileStorage,
    delete_in_transaction,
    put_in_transaction,
    storage_from_config,
)
