"""Staff passwords, kept only as slow salted hashes (scrypt, from the standard library).

Example:
    stored = hash_password("mật khẩu đủ dài")       # "scrypt$16384$8$1$<salt>$<hash>"
    verify_password("mật khẩu đủ dài", stored)      # True
    verify_password("sai", stored)                   # False

scrypt is slow on purpose and needs 16 MB of memory a try, so that a stolen database does not
give up its passwords to a fast guesser. The parameters are stored with each hash, so they can
be raised later without locking anyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 10


class WeakPasswordError(ValueError):
    """The password is too short to be stored."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"a staff password needs at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, N, R, P)
    return "$".join(["scrypt", str(N), str(R), str(P), _b64(salt), _b64(key)])


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p),
                         length=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int,
            length: int = KEY_BYTES) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=64 * 1024 * 1024, dklen=length)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
