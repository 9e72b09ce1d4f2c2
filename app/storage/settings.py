"""Build the storage the settings name."""

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from app.storage.files import FileStorage
from app.storage.local import LocalFileStorage

# The values of the STORAGE setting.
KINDS = ("local", "s3")


def storage_from_config(config: Mapping) -> FileStorage:
    """Return the storage the settings name: `STORAGE` "local" (`UPLOAD_DIR`) or "s3" (the
    `S3_*` settings; one client per distinct setting, reused across requests)."""
    kind = config.get("STORAGE", "local")
    if kind == "local":
        return LocalFileStorage(Path(config["UPLOAD_DIR"]))
    if kind == "s3":
        return _s3(config.get("S3_ENDPOINT_URL", ""), config["S3_BUCKET"],
                   config.get("S3_REGION", ""), config.get("S3_ACCESS_KEY_ID", ""),
                   config.get("S3_SECRET_ACCESS_KEY", ""))
    raise ValueError(f"STORAGE måste vara ett av {', '.join(KINDS)}, inte {kind!r}")


@lru_cache(maxsize=8)
def _s3(endpoint_url: str, bucket: str, region: str, access_key_id: str,
        secret_access_key: str) -> FileStorage:
    from app.storage.s3 import S3FileStorage  # boto3 is only imported when S3 is used

    return S3FileStorage.connect(endpoint_url=endpoint_url, bucket=bucket, region=region,
                                 access_key_id=access_key_id,
                                 secret_access_key=secret_access_key)
