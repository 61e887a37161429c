"""Password hashing with scrypt. The cost is a setting so the test suite can make it cheap."""

import base64
import functools
import hashlib
import hmac
import os
import secrets

DEFAULT_LOG2_N = 14  # 16 MiB of memory, ~50 ms: costly to guess, cheap enough to sign in


def _cost() -> int:
    # GKH_PASSWORD_COST lowers the work factor for test suites; never set it on a real portal.
    return int(os.environ.get("GKH_PASSWORD_COST", DEFAULT_LOG2_N))


def hash_password(password: str) -> str:
    log2_n = _cost()
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**log2_n, r=8, p=1, maxmem=2**26, dklen=32)
    return f"scrypt${log2_n}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, log2_n, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=2 ** int(log2_n), r=8, p=1, maxmem=2**26, dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(expected, actual)


@functools.cache
def unknown_login_hash() -> str:
    """A hash no password matches, checked for unknown logins so they cost as much as known ones."""
    return hash_password(secrets.token_urlsafe(16))
