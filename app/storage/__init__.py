"""Where stored files are kept (attachments, decision letters, payout batch files): a small
interface (`FileStorage`), a local-disk and an S3-compatible implementation, files that live
only if their transaction commits, and the inventory (`check`, `sweep`) of what is stored.

This package does not import Flask: callers build the storage from the settings with
`storage_from_config` and pass it in.
"""

from app.storage.files import KEY, FileStorage, StoredEntry, new_key
from app.storage.local import LocalFileStorage
from app.storage.settings import storage_from_config
from app.storage.transaction import delete_in_transaction, put_in_transaction

__all__ = ["KEY", "FileStorage", "LocalFileStorage", "StoredEntry", "delete_in_transaction",
           "new_key", "put_in_transaction", "storage_from_config"]
