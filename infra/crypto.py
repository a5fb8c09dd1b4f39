"""Symmetric encryption of stored secrets (WhatsApp tokens, TOTP seeds) under SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(f"easy-ecom-at-rest:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, plaintext: str) -> str:
    """Encrypt and authenticate `plaintext`; the token is ASCII."""
    return _fernet(secret_key).encrypt(plaintext.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    """Decrypt a token made by `encrypt` with the same key (raises InvalidToken otherwise)."""
    return _fernet(secret_key).decrypt(token.encode()).decode()
