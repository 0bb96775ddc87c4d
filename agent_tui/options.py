"""Options shared by every command that touches data (the CLI contract), and their context."""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .i18n import detect_lang


@dataclass
class Context:
    data_dir: Path
    server: str
    token: str
    lang: str
    agent: str
    agent_given: bool = False  # --agent or HOTLINE_AGENT, rather than the login name
    data_dir_given: bool = False  # --data-dir on the command line

    def store(self):
        from models.store import open_store

        return open_store(self.data_dir)


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--data-dir, --server, --token, --lang, --agent; passes `ctx: Context` to the command."""

    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Where the local store lives (default: the user data dir; env HOTLINE_DATA_DIR).")
    @click.option("--server", envvar="HOTLINE_SERVER", default="", help="Central server URL (env HOTLINE_SERVER).")
    @click.option("--token", envvar="HOTLINE_TOKEN", default="", help="API token (env HOTLINE_TOKEN).")
    @click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                  help="Language of the interface (default from the locale, English fallback).")
    @click.option("--agent", envvar="HOTLINE_AGENT", default="",
                  help="Agent id recorded on cases (default: the login name; env HOTLINE_AGENT).")
    @functools.wraps(func)
    def wrapper(*args: Any, data_dir: Path | None, server: str, token: str, lang: str | None,
                agent: str, **kwargs: Any) -> Any:
        from models.store import default_data_dir

        ctx = Context(
            data_dir=data_dir or default_data_dir(), server=server, token=token,
            lang=detect_lang(lang), agent=agent or _login_name(), agent_given=bool(agent),
            data_dir_given=data_dir is not None,
        )
        return func(*args, ctx=ctx, **kwargs)

    return wrapper


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "agent")
