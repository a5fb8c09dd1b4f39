"""Where uploaded files (product pictures) live: S3 or an S3-compatible store when S3_BUCKET_NAME
is set, otherwise a folder under DATA_DIR. Keys are made by the caller from ids, never from input."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError

from infra.settings import Settings

_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


class ObjectMissing(Exception):
    """No object is stored under that key."""


class ObjectStorage(Protocol):
    """Bytes under keys like `client/product/image.jpg`."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under `key`; ObjectMissing when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key` (nothing happens when it is not there)."""
        ...


def checked_key(key: str) -> str:
    """`key` when it is a plain relative path (no '..', no leading '/'), else ValueError."""
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValueError(f"object key {key!r} is not a plain relative path")
    return key


class LocalObjectStorage:
    """A folder: one file per key, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        Path(temporary).replace(path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectMissing(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3ObjectStorage:
    """A bucket on S3 or an S3-compatible store (MinIO, R2, ...)."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=checked_key(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=checked_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectMissing(key) from None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=checked_key(key))


def make_object_storage(settings: Settings) -> ObjectStorage:
    """S3 when S3_BUCKET_NAME is set (S3_ENDPOINT_URL for compatible stores), else DATA_DIR/objects."""
    if not settings.S3_BUCKET_NAME:
        return LocalObjectStorage(settings.DATA_DIR / "objects")
    secret = settings.AWS_SECRET_ACCESS_KEY
    client = boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        region_name=settings.AWS_REGION,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
    )
    return S3ObjectStorage(settings.S3_BUCKET_NAME, client)
