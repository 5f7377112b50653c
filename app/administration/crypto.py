"""Personal data at rest: AES-GCM encryption and a keyed hash for BSN look-ups.

One master key (``IWMO_SECRET_KEY``, base64 of 32 bytes) yields, through HKDF, separate
keys for encryption and for the BSN hash, so neither can be used as the other, and a
fingerprint the database keeps to recognise the key its data was written with (see
``keys``). Ciphertexts carry a version byte, so algorithms can be changed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import zlib
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import Settings

log = logging.getLogger(__name__)

_VERSION = b"\x01"  # AES-GCM of the data
_COMPRESSED = b"\x02"  # AES-GCM of the data compressed with zlib (large data only)
_COMPRESS_FROM = 1024 * 1024  # bytes: smaller data is not worth the time
_NONCE = 12
_TAG = 16  # AES-GCM's authentication tag, after the ciphertext


# What a ciphertext is for (bound into it as associated data): one cannot pass for another.
RAW = b"message"  # a raw message, as received or composed
BSN = b"bsn"


class SecretKeyError(ValueError):
    """The secret key is missing or malformed."""


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Vault:
    def __init__(self, master_key: bytes, *, source: str = "IWMO_SECRET_KEY") -> None:
        if len(master_key) != 32:
            raise SecretKeyError("the secret key must be 32 bytes")
        self._aead = AESGCM(_derive(master_key, b"iwmo-hub/encryption/v1"))
        self._lookup = _derive(master_key, b"iwmo-hub/bsn-lookup/v1")
        # Its own HKDF output: knowing it tells nothing of the key or the other derived keys.
        self.fingerprint = _derive(master_key, b"iwmo-hub/key-fingerprint/v1").hex()
        # Signs the web console's session cookies and their CSRF tokens.
        self.console_key = _derive(master_key, b"iwmo-hub/console-session/v1")
        self.source = source  # where the key came from, for messages (never the key itself)

    def encrypt(self, data: bytes, purpose: bytes) -> bytes:
        version = _VERSION
        if len(data) >= _COMPRESS_FROM:
            # A large message (XML compresses about tenfold) is compressed first: it then
            # costs a tenth of its size to store and to hand to the database.
            data = zlib.compress(data, 1)
            version = _COMPRESSED
        nonce = os.urandom(_NONCE)
        # Written in place: a large message costs one copy of itself here, not three.
        head = len(version) + _NONCE
        blob = bytearray(head + len(data) + _TAG)
        blob[:head] = version + nonce
        self._aead.encrypt_into(nonce, data, purpose, memoryview(blob)[head:])
        # A bytearray is stored as bytes are.
        return blob  # type: ignore[return-value]

    def decrypt(self, blob: bytes, purpose: bytes) -> bytes:
        version = blob[:1]
        if version not in (_VERSION, _COMPRESSED):
            raise ValueError("unknown ciphertext version")
        view = memoryview(blob)
        try:
            data = self._aead.decrypt(view[1 : 1 + _NONCE], view[1 + _NONCE :], purpose)
        except InvalidTag:
            raise ValueError("ciphertext does not match the key or purpose") from None
        return zlib.decompress(data) if version == _COMPRESSED else data

    def bsn_hash(self, bsn: str) -> str:
        """Stable keyed hash of a BSN: finds a client without storing the BSN."""
        return hmac.new(self._lookup, bsn.encode("ascii"), hashlib.sha256).hexdigest()


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def vault_from(settings: Settings, *, generate: bool = True) -> Vault:
    """The vault for these settings.

    Without IWMO_SECRET_KEY a SQLite (development) installation keeps a generated key in
    a file beside the database (made here unless ``generate`` is false); PostgreSQL
    installations must be given a key.
    """
    raw = settings.secret_key
    if raw is not None:
        return vault_of(raw, "IWMO_SECRET_KEY")
    if not settings.is_sqlite:
        raise SecretKeyError("IWMO_SECRET_KEY must be set when the database is not SQLite")
    path = development_key_file(settings)
    if not generate and not path.is_file():
        raise SecretKeyError(f"IWMO_SECRET_KEY is not set and there is no development key {path}")
    return vault_of(_development_key(path), f"the development key in {path}")


def vault_of(raw: str, source: str) -> Vault:
    """The vault for a key as written (base64); ``source`` names it in errors."""
    try:
        return Vault(base64.b64decode(raw.strip(), validate=True), source=source)
    except (binascii.Error, ValueError) as exc:
        raise SecretKeyError(f"{source} must be base64 of 32 random bytes") from exc


def development_key_file(settings: Settings) -> Path:
    """Where a SQLite installation without IWMO_SECRET_KEY keeps its generated key."""
    return settings.secret_key_file or _beside_database(settings.database_url)


def replace_development_key(path: Path, raw: str) -> None:
    """Write a new key into the development key file, all at once: a crash leaves the old
    file or the new one, never half of either."""
    part = path.with_name(path.name + ".new")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(raw.strip() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, path)


def _development_key(path: Path) -> str:
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    key = new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    log.warning("no IWMO_SECRET_KEY set: generated a development key in %s", path)
    return key


def _beside_database(url: str) -> Path:
    location = url.split("///", 1)[-1] if "///" in url else ""
    if not location or location == ":memory:":
        return Path("iwmo-secret.key")
    return Path(location).with_name(Path(location).name + ".key")
