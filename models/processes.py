"""Fresh interpreters running a module of this project (`python -m models....`), for the work a
big import spreads over the cores: no multiprocessing, so nothing of the calling process, its
__main__ or its threads, is carried over, and the child finds this checkout's code first."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def module_command(module: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run `module` with `args`."""
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p))
    return [sys.executable, "-m", module, *args], env
