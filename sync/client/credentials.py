"""The terminal's API token, kept outside the database in a file only the agent can read.

The file is `DATA_DIR/token` (mode 0600, the data dir 0700), written atomically by
`hotline sync --remember` (or the TUI when a token is given on its command line). Nothing here
prints or logs a token. A token left by an older version in the store's meta table
(`sync.token`) is moved to the file the first time it is needed, and deleted from the store.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.store import Store

TOKEN_FILE = "token"
LEGACY_META_KEY = "sync.token"  # where versions before the token file kept it, in plain text


def token_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / TOKEN_FILE


def read_token(data_dir: Path | str) -> str:
    """The remembered token, or "" when there is none. A file others can read is tightened to
    0600 first (as ssh insists on for its keys)."""
    path = token_path(data_dir)
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, 0o600)
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


def write_token(data_dir: Path | str, token: str) -> Path:
    """Remember `token` for this data dir: a new file, 0600 from its creation, swapped in
    atomically (a reader never sees half a token); the data dir is made 0700."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    path = token_path(data_dir)
    fd, scratch = tempfile.mkstemp(prefix=".token-", dir=data_dir)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token.strip() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(scratch, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
        raise
    return path


def remove_token(data_dir: Path | str) -> bool:
    try:
        token_path(data_dir).unlink()
    except FileNotFoundError:
        return False
    return True


def stored_token(store: Store) -> str:
    """The token remembered for this store's data dir, moving an old one out of the store."""
    token = read_token(store.data_dir)
    if token:
        return token
    legacy = store.get_meta(LEGACY_META_KEY)
    if legacy:
        write_token(store.data_dir, legacy)
        with store.raw() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (LEGACY_META_KEY,))
    return legacy
