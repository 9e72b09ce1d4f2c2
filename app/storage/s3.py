"""Files in a bucket of an S3-compatible object store (AWS S3, MinIO, Ceph, …), by key."""

from collections.abc import Iterator
from datetime import UTC

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.storage.files import StoredEntry, check_key

# Error codes S3-compatible servers answer for an object (or bucket) that is not there.
MISSING = {"NoSuchKey", "404", "NotFound"}


class S3FileStorage:
    """Objects in one bucket named by their key. Every failure is an OSError (a missing
    object a FileNotFoundError), so callers need not know boto3."""

    def __init__(self, client, bucket: str):
        self.client = client
        self.bucket = bucket

    @classmethod
    def connect(cls, *, endpoint_url: str, bucket: str, region: str, access_key_id: str,
                secret_access_key: str) -> "S3FileStorage":
        """Build a client for the endpoint (empty: AWS) with short timeouts and few retries,
        so an unreachable store fails a request in seconds rather than hanging it."""
        config = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
                        s3={"addressing_style": "path"})
        client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None, config=config)
        return cls(client, bucket)

    def put(self, key: str, data: bytes) -> None:
        """Store the object; S3 makes it visible whole or not at all."""
        with _as_oserror(key):
            self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data)

    def get(self, key: str) -> bytes:
        with _as_oserror(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
            return answer["Body"].read()

    def delete(self, key: str) -> None:
        with _as_oserror(key):
            self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def ready(self) -> None:
        """Raise OSError unless the bucket answers."""
        with _as_oserror(self.bucket):
            self.client.head_bucket(Bucket=self.bucket)

    def entries(self) -> Iterator[StoredEntry]:
        with _as_oserror(self.bucket):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
            for page in pages:
                for item in page.get("Contents", []):
                    yield StoredEntry(item["Key"], item["LastModified"].astimezone(UTC),
                                      item["Size"])

    def discard(self, name: str) -> None:
        with _as_oserror(name):
            self.client.delete_object(Bucket=self.bucket, Key=name)


class _as_oserror:
    """Turn boto3's errors into OSError (FileNotFoundError for a missing object)."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, ClientError):
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in MISSING:
                raise FileNotFoundError(f"{self.name} finns inte i lagringen") from error
            raise OSError(f"lagringen svarade {code} för {self.name}") from error
        if isinstance(error, BotoCoreError):
            raise OSError(f"lagringen kan inte nås: {error}") from error
        return False
