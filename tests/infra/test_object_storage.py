"""Object storage: a folder under DATA_DIR, and S3 through boto3 against moto's server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from infra.object_storage import LocalObjectStorage, ObjectMissing, ObjectStorage, S3ObjectStorage, make_object_storage
from infra.settings import Settings

BUCKET = "easy-ecom-test-pictures"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto in server mode on 127.0.0.1: real HTTP, boto3 unchanged."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str, tmp_path: Path) -> Settings:
    settings = Settings(
        _env_file=None,
        DATA_DIR=tmp_path,
        S3_BUCKET_NAME=BUCKET,
        S3_ENDPOINT_URL=s3_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    if BUCKET not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET)
    return settings


def exercise(storage: ObjectStorage) -> None:
    storage.put("shop_a/products/p1/i1.png", b"\x89PNG first", "image/png")
    storage.put("shop_a/products/p1/i1.png", b"\x89PNG second", "image/png")
    assert storage.get("shop_a/products/p1/i1.png") == b"\x89PNG second"
    storage.delete("shop_a/products/p1/i1.png")
    storage.delete("shop_a/products/p1/i1.png")  # twice is fine
    with pytest.raises(ObjectMissing):
        storage.get("shop_a/products/p1/i1.png")


def test_without_a_bucket_pictures_live_in_a_folder_under_data_dir(tmp_path: Path) -> None:
    storage = make_object_storage(Settings(_env_file=None, DATA_DIR=tmp_path))
    assert isinstance(storage, LocalObjectStorage)
    assert storage.root == tmp_path / "objects"
    storage.put("shop_a/x.png", b"bytes", "image/png")
    assert (tmp_path / "objects" / "shop_a" / "x.png").read_bytes() == b"bytes"
    exercise(storage)


def test_with_a_bucket_pictures_go_to_s3(s3_settings: Settings, s3_endpoint: str) -> None:
    storage = make_object_storage(s3_settings)
    assert isinstance(storage, S3ObjectStorage)
    storage.put("shop_a/y.webp", b"RIFF....WEBP", "image/webp")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stored = client.get_object(Bucket=BUCKET, Key="shop_a/y.webp")
    assert (stored["Body"].read(), stored["ContentType"]) == (b"RIFF....WEBP", "image/webp")
    assert not list((s3_settings.DATA_DIR).glob("objects"))
    exercise(storage)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/path", "a/../../b", "a//b", "", "a/.hidden/../x"])
def test_keys_that_leave_the_store_are_refused(tmp_path: Path, key: str) -> None:
    storage = LocalObjectStorage(tmp_path)
    with pytest.raises(ValueError, match="plain relative path"):
        storage.put(key, b"x", "image/png")
