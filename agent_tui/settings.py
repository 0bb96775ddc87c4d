"""The terminal's settings: one typed object, loaded once by the CLI's common options
(`agent_tui.options`) and handed to the commands and the app.

Where each value comes from, lowest precedence first (a later source wins):

1. defaults: the platform's user data dir, the locale's language, the login name, no server;
2. the settings file `DATA_DIR/settings.toml`, for example::

       server = "https://hotline.example.gov"
       lang = "zh"
       agent = "a01"

       [keymap]            # action id = keys (see agent_tui/actions.py for the ids)
       new_call = "f9"
       save = "ctrl+s,ctrl+w"

   It lives in the data dir, so each store (the demo's too) has its own, and it cannot name the
   data dir it lives in. It never holds the token;
3. the token file `DATA_DIR/token` (mode 0600, see `sync.client.credentials`), for the token;
4. the environment: HOTLINE_DATA_DIR, HOTLINE_SERVER, HOTLINE_TOKEN_FILE (a file holding the
   token), HOTLINE_TOKEN, HOTLINE_LANG, HOTLINE_AGENT, HOTLINE_KEYMAP (JSON);
5. the flags: --data-dir, --server, --token-file, --token, --lang, --agent.

A token never needs to be on a command line (where `ps` shows it to every local user): the
environment, `--token-file FILE` or the remembered token file serve as well.

The token is a `SecretStr`: printing the settings shows stars, never the token.
"""

from __future__ import annotations

import getpass
import locale
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

SETTINGS_FILE = "settings.toml"
ENV_PREFIX = "HOTLINE_"
_FILE_KEYS = {"server", "lang", "agent", "keymap"}  # what the settings file may set


class SettingsError(Exception):
    """The settings file or the environment holds something unusable (said without values)."""


class TerminalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore",
                                      validate_default=False)

    data_dir: Path
    server: str = ""
    token: SecretStr = SecretStr("")
    lang: Literal["en", "zh"] | None = None  # None: from the locale (see `language`)
    agent: str = ""  # "": the login name (see `agent_id`)
    keymap: dict[str, str] = Field(default_factory=dict)

    _token_explicit: bool = PrivateAttr(default=False)  # from the environment or a flag

    @field_validator("lang", mode="before")
    @classmethod
    def _lang(cls, value: Any) -> Any:
        """`zh_CN.UTF-8` and the like count as Chinese, anything else set as English."""
        if isinstance(value, str) and value:
            return "zh" if value.lower().startswith("zh") else "en"
        return value or None

    @field_validator("keymap")
    @classmethod
    def _known_actions(cls, keymap: dict[str, str]) -> dict[str, str]:
        from .actions import BY_ID

        unknown = sorted(set(keymap) - set(BY_ID))
        if unknown:
            raise ValueError(f"no such action: {', '.join(unknown)} "
                             f"(known: {', '.join(sorted(BY_ID))})")
        return {action: keys.replace(" ", "") for action, keys in keymap.items()}

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        assert isinstance(init_settings, InitSettingsSource)
        data_dir = Path(init_settings.init_kwargs["data_dir"])
        return (init_settings, env_settings, _TokenFile(settings_cls, data_dir),
                _SettingsFile(settings_cls, data_dir / SETTINGS_FILE))

    # --- what the rest of the terminal reads ---------------------------------------------------
    @property
    def language(self) -> str:
        return self.lang or locale_language()

    @property
    def agent_id(self) -> str:
        return self.agent or login_name()

    @property
    def agent_given(self) -> bool:
        """An agent id was set (file, environment, flag), rather than the login name."""
        return bool(self.agent)

    @property
    def token_explicit(self) -> bool:
        """The token came from the environment or a flag, not from the token file."""
        return self._token_explicit

    def token_value(self) -> str:
        return self.token.get_secret_value()

    def settings_file(self) -> Path:
        return self.data_dir / SETTINGS_FILE


class _SettingsFile(TomlConfigSettingsSource):
    """DATA_DIR/settings.toml; a key it may not hold is an error, not silently ignored."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls, toml_file=path)
        self.path = path
        if "token" in self.toml_data:
            raise SettingsError(f"{path}: the token does not belong in the settings file; "
                                "`hotline sync --remember --token ...` keeps it in its own "
                                "file that only you can read")
        unknown = sorted(set(self.toml_data) - _FILE_KEYS)
        if unknown:
            raise SettingsError(f"{path}: unknown setting {', '.join(unknown)} "
                                f"(known: {', '.join(sorted(_FILE_KEYS))})")


class _TokenFile(InitSettingsSource):
    """DATA_DIR/token, read through `sync.client.credentials`."""

    def __init__(self, settings_cls: type[BaseSettings], data_dir: Path) -> None:
        from sync.client.credentials import read_token

        token = read_token(data_dir) if data_dir.is_dir() else ""
        super().__init__(settings_cls, {"token": token} if token else {})


def load_settings(*, data_dir: Path | str | None = None, server: str | None = None,
                  token: str | None = None, token_file: Path | str | None = None,
                  lang: str | None = None, agent: str | None = None) -> TerminalSettings:
    """The settings for this run: the flags given here over the environment over the files.

    The data dir is settled first (flag, then HOTLINE_DATA_DIR, then the platform's user data
    dir), since the settings file and the token file live in it."""
    from models.store import default_data_dir  # HOTLINE_DATA_DIR, else the platform's

    where = Path(data_dir) if data_dir else default_data_dir()
    if not token:  # --token-file, else a token in the environment, else HOTLINE_TOKEN_FILE
        token_file = token_file or (None if os.environ.get(ENV_PREFIX + "TOKEN")
                                    else os.environ.get(ENV_PREFIX + "TOKEN_FILE"))
        token = read_token_file(Path(token_file)) if token_file else None
    flags = {k: v for k, v in dict(server=server, token=token, lang=lang, agent=agent).items()
             if v}
    try:
        settings = TerminalSettings(data_dir=where, **flags)
    except ValidationError as exc:  # said field by field, without the values (a token is one)
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"settings ({where / SETTINGS_FILE}, environment, flags): "
                            f"{problems}") from None
    settings._token_explicit = bool(token or os.environ.get(ENV_PREFIX + "TOKEN"))
    return settings


def read_token_file(path: Path) -> str:
    """The token held in `path` (its first line; surrounding blanks ignored)."""
    try:
        lines = path.read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"token file {path}: {exc.strerror if isinstance(exc, OSError) else 'not UTF-8 text'}"
                            ) from None
    if not lines or not lines[0].strip():
        raise SettingsError(f"token file {path} is empty")
    return lines[0].strip()


def locale_language() -> str:
    """zh when the locale says Chinese (LC_ALL, LC_MESSAGES, LANG, LANGUAGE), else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        loc = locale.getlocale()[0] or ""
    except ValueError:
        loc = ""
    return "zh" if loc.lower().startswith("zh") else "en"


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "agent")
