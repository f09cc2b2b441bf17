"""The server's signing key (waiting-room tickets): from ``VRSTORE_SECRET_KEY``, else generated once.

Every worker of one server must sign alike, and a restart must not invalidate the tickets of people waiting,
so an unset key is created once in the data directory (mode 0600) and read from there afterwards.
"""

from __future__ import annotations

import os
import secrets

from server.settings import Settings

KEY_FILE = "secret.key"


def signing_key(settings: Settings) -> bytes:
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path = settings.data_dir / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temp file, then linked into place: a reader never sees a half-written key,
    # and of two workers racing, the first link wins and the other reads it.
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes().strip()
