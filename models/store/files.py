"""Files that hold callers' personal data are private: directories 0700, files 0600.

The store, its WAL and shared-memory files (SQLite gives them the main file's mode), the routing
statistics, drafts and the token all live in the data dir; another local user must read none of
them. A file is created with its mode (never created open and narrowed later), and an existing
one made by an older version is narrowed when it is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, narrow: bool = True) -> Path:
    """Make the directory (and parents) 0700 if needed; narrow an existing one to the owner
    unless `narrow` is False (a folder an operator chose, shared with other files)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if narrow:
        _narrow(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create the file empty with mode 0600 if it is not there; narrow it if it is."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        _narrow(path, FILE_MODE)
    else:
        os.close(fd)
    return path


def narrow_siblings(path: Path) -> None:
    """SQLite's -wal and -shm files beside a database, when they exist."""
    for suffix in ("-wal", "-shm", "-journal"):
        sibling = path.with_name(path.name + suffix)
        if sibling.exists():
            _narrow(sibling, FILE_MODE)


def _narrow(path: Path, mode: int) -> None:
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except PermissionError:
        pass  # not ours to change (a shared, admin-managed dir): leave it as it is
