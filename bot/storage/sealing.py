"""Sealing confidential answers while they wait for their round to close.

A sealed answer is a Fernet token of a fixed length with a fixed timestamp: it says neither
what was answered nor when, and it only opens with the app's secret key.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken

# Every answer is padded to this many bytes before sealing, so that token lengths are all
# equal and do not tell a short option key from a long one.
SEALED_BYTES = 160
# Fernet writes the time of encryption into each token, in the clear. A fixed time keeps the
# moment of the answer out of the database.
_NO_TIME = 0


class SecretKeyMissing(RuntimeError):
    """A confidential answer needs ATLAS_SECRET_KEY, and none is configured."""


class Sealer:
    """Seals and opens confidential answers with one Fernet key."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode("ascii"))

    def seal(self, fields: dict[str, object]) -> str:
        """The fields as a token of fixed length, with no time in it."""
        plain = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
        if len(plain) > SEALED_BYTES:
            raise ValueError("confidential answer too long to seal")
        padded = plain.ljust(SEALED_BYTES, b" ")
        return self._fernet.encrypt_at_time(padded, _NO_TIME).decode("ascii")

    def open(self, token: str) -> dict[str, object] | None:
        """The fields of a token; None when it was not sealed with this key or was altered."""
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except (InvalidToken, ValueError):
            return None


def valid_key(key: str) -> bool:
    """Whether `key` is a Fernet key (32 bytes, URL-safe base64)."""
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False
    return True
