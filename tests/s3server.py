"""A real S3-compatible server for the tests: moto in server mode on 127.0.0.1, a free port
(HTTP on loopback, as the app talks to MinIO or S3; not moto's in-process mock)."""

import socket
import uuid
from contextlib import contextmanager

import boto3

ACCESS_KEY, SECRET_KEY, REGION = "testing", "testing", "eu-north-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_s3_server():
    """Start moto's server in a thread; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def s3_settings(endpoint_url: str, bucket: str) -> dict:
    """The app's settings for a bucket on that server."""
    return {"STORAGE": "s3", "S3_ENDPOINT_URL": endpoint_url, "S3_BUCKET": bucket,
            "S3_REGION": REGION, "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY}


def new_bucket(endpoint_url: str) -> str:
    """Create an empty bucket with a fresh name; return the name."""
    name = f"tf-{uuid.uuid4().hex[:16]}"
    client = boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=REGION, aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name
