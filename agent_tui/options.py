"""Options shared by every command that touches data (the CLI contract), and their context.

`--data-dir`, `--server`, `--token` (or `--token-file`), `--lang`, `--agent` are taken by `hotline` itself and by
each data command (`hotline --data-dir D import F` and `hotline import F --data-dir D` agree;
the command's own flag wins). They are read once, with the environment and the settings file,
into `agent_tui.settings.TerminalSettings` (imported when a command runs: `hotline --help`
stays light).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .settings import TerminalSettings

FLAGS = ("data_dir", "server", "token", "token_file", "lang", "agent")


@dataclass
class Context:
    """What a command is given: the settings, and which of them the agent chose."""

    settings: TerminalSettings
    data_dir_given: bool = False  # --data-dir on the command line

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def server(self) -> str:
        return self.settings.server

    @property
    def token(self) -> str:
        return self.settings.token_value()

    @property
    def lang(self) -> str:
        return self.settings.language

    @property
    def agent(self) -> str:
        return self.settings.agent_id

    @property
    def agent_given(self) -> bool:
        return self.settings.agent_given

    def update(self, **changes: Any) -> None:
        """Change settings for this run (the demo points the terminal at its own server). A
        token given here counts as given on the command line."""
        from dataclasses import replace

        from .settings import SecretStr

        if "token" in changes:
            changes.update(token=SecretStr(changes["token"]), _token_explicit=True)
        self.settings = replace(self.settings, **changes)

    def store(self):
        from models.store import open_store

        return open_store(self.data_dir)


def flag_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The common flags, as click options (no envvar here: the settings read the environment)."""
    options = [
        click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Where the local store lives (default: the user data dir; env HOTLINE_DATA_DIR)."),
        click.option("--server", default=None, help="Central server URL (env HOTLINE_SERVER)."),
        click.option("--token", default=None, help="API token (env HOTLINE_TOKEN; "
                     "remembered with `hotline sync --remember`). Visible to `ps`: prefer "
                     "--token-file or the environment."),
        click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Read the API token from this file (env HOTLINE_TOKEN_FILE), so it "
                          "never appears on a command line."),
        click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                     help="Language of the interface (env HOTLINE_LANG; default from the locale, "
                          "English fallback)."),
        click.option("--agent", default=None,
                     help="Agent id recorded on cases (default: the login name; env HOTLINE_AGENT)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The common flags on a command; passes `ctx: Context` to it. A flag given to `hotline`
    itself (before the command's name) counts when the command does not give it again."""

    @flag_options
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name) for name in FLAGS}
        outer = click.get_current_context().find_object(GroupFlags)
        if outer is not None:
            flags = {name: flags[name] or outer.flags.get(name) for name in FLAGS}
        return func(*args, ctx=make_context(**flags), **kwargs)

    return wrapper


@dataclass
class GroupFlags:
    """The flags given to `hotline` itself, kept in click's context for the command."""

    flags: dict[str, Any]


def make_context(**flags: Any) -> Context:
    from .settings import SettingsError, load_settings

    try:
        settings = load_settings(**flags)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    from models.domain.region import set_region  # (light: no phonenumbers before the form)

    set_region(settings.region)  # every number this run reads without a country code
    return Context(settings, data_dir_given=flags.get("data_dir") is not None)
