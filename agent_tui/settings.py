"""The terminal's settings: one typed object, loaded once by the CLI's common options
(`agent_tui.options`) and handed to the commands and the app.

Where each value comes from, lowest precedence first (a later source wins):

1. defaults: the platform's user data dir, the locale's language, the login name, no server;
2. the settings file `DATA_DIR/settings.toml`, for example::

       server = "https://hotline.example.gov"
       lang = "zh"
       agent = "a01"
       region = "US"       # numbers given without a country code are this region's (default CN)

       [keymap]            # action id = keys (see agent_tui/actions.py for the ids)
       new_call = "f9"
       save = "ctrl+s,ctrl+w"

   It lives in the data dir, so each store (the demo's too) has its own, and it cannot name the
   data dir it lives in. It never holds the token;
3. the token file `DATA_DIR/token` (mode 0600, see `sync.client.credentials`), for the token;
4. the environment: HOTLINE_DATA_DIR, HOTLINE_SERVER, HOTLINE_TOKEN_FILE (a file holding the
   token), HOTLINE_TOKEN, HOTLINE_LANG, HOTLINE_AGENT, HOTLINE_KEYMAP (JSON), HOTLINE_REGION;
5. the flags: --data-dir, --server, --token-file, --token, --lang, --agent.

A token never needs to be on a command line (where `ps` shows it to every local user): the
environment, `--token-file FILE` or the remembered token file serve as well.

The token is a `SecretStr`: printing the settings shows stars, never the token.

Plain Python on purpose (no pydantic-settings): these are read before the intake form is drawn,
and pydantic's import alone cost `hotline tui` about a quarter of its cold start
(benchmarks/bench_intake.py). The layering and the checks are those pydantic-settings made.
"""

from __future__ import annotations

import locale
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

SETTINGS_FILE = "settings.toml"
ENV_PREFIX = "HOTLINE_"
_FILE_KEYS = {"server", "lang", "agent", "keymap", "region"}  # what the settings file may set
_ENV_KEYS = ("server", "token", "lang", "agent", "keymap", "region")  # HOTLINE_<KEY>, any case


class SettingsError(Exception):
    """The settings file or the environment holds something unusable (said without values)."""


class SecretStr:
    """A string that prints as stars (the token): repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr('{self}')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass
class TerminalSettings:
    data_dir: Path
    server: str = ""
    token: SecretStr = field(default_factory=lambda: SecretStr(""))
    lang: Literal["en", "zh"] | None = None  # None: from the locale (see `language`)
    agent: str = ""  # "": the login name (see `agent_id`)
    keymap: dict[str, str] = field(default_factory=dict)
    region: str = "CN"  # phone numbers without a country code (`models.domain.phone`)
    _token_explicit: bool = field(default=False, repr=False)  # from the environment or a flag

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


def _settings_file(path: Path) -> dict[str, Any]:
    """DATA_DIR/settings.toml; a key it may not hold is an error, not silently ignored."""
    if not path.is_file():
        return {}
    import tomllib

    with open(path, "rb") as f:
        data = tomllib.load(f)
    if "token" in data:
        raise SettingsError(f"{path}: the token does not belong in the settings file; "
                            "`hotline sync --remember --token ...` keeps it in its own "
                            "file that only you can read")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise SettingsError(f"{path}: unknown setting {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(_FILE_KEYS))})")
    return data


def _token_file(data_dir: Path) -> dict[str, Any]:
    """DATA_DIR/token, read through `sync.client.credentials`."""
    from sync.client.credentials import read_token

    token = read_token(data_dir) if data_dir.is_dir() else ""
    return {"token": token} if token else {}


def _environment() -> dict[str, Any]:
    """HOTLINE_SERVER and the rest (names in any case); the key map as JSON."""
    found = {name.lower(): value for name, value in os.environ.items()
             if name.lower().startswith(ENV_PREFIX.lower())}
    values = {key: found[ENV_PREFIX.lower() + key] for key in _ENV_KEYS
              if ENV_PREFIX.lower() + key in found}
    if "keymap" in values:
        import json  # only for a key map: the TUI's start reads settings before its first frame

        try:
            values["keymap"] = json.loads(values["keymap"])
        except ValueError:
            raise SettingsError(f"{ENV_PREFIX}KEYMAP: not JSON") from None
    return values


def _merged(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Later layers win; the key maps of all layers add up (an action's keys from the last)."""
    values: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key == "keymap" and isinstance(value, dict) and isinstance(values.get(key), dict):
                value = {**values[key], **value}
            values[key] = value
    return values


def _checked(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The values as the settings hold them, and the problems found ("field: what")."""
    problems: list[str] = []
    lang = values.get("lang")
    if isinstance(lang, str) and lang:  # `zh_CN.UTF-8` and the like: Chinese, anything else: en
        values["lang"] = "zh" if lang.lower().startswith("zh") else "en"
    elif "lang" in values:
        values["lang"] = lang or None
        if lang:
            problems.append("lang: Input should be 'en' or 'zh'")
    for key in ("server", "agent", "token", "region"):
        if key in values and not isinstance(values[key], str):
            problems.append(f"{key}: Input should be a valid string")
    region = values.get("region")
    if isinstance(region, str):  # (its list is phonenumbers', checked where a number needs it)
        if re.fullmatch(r"[A-Za-z]{2}", region.strip()):
            values["region"] = region.strip().upper()
        else:
            problems.append("region: Input should be a two-letter country code (CN, US, GB ...)")
    if "token" in values:
        values["token"] = SecretStr(values["token"])
    if "keymap" in values:
        problems += _keymap_problems(values["keymap"])
        if not problems:
            values["keymap"] = {a: keys.replace(" ", "") for a, keys in values["keymap"].items()}
    return values, problems


def _keymap_problems(keymap: Any) -> list[str]:
    if not isinstance(keymap, dict):
        return ["keymap: Input should be a valid dictionary"]
    wrong = [f"keymap.{a}: Input should be a valid string" for a, keys in keymap.items()
             if not isinstance(keys, str)]
    if wrong:
        return wrong
    from .actions import BY_ID

    unknown = sorted(set(keymap) - set(BY_ID))
    if unknown:
        return [f"keymap: Value error, no such action: {', '.join(unknown)} "
                f"(known: {', '.join(sorted(BY_ID))})"]
    return []


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
    layers = [_settings_file(where / SETTINGS_FILE), _token_file(where), _environment(), flags]
    values, problems = _checked(_merged(layers))
    if problems:  # said field by field, without the values (a token is one)
        raise SettingsError(f"settings ({where / SETTINGS_FILE}, environment, flags): "
                            f"{'; '.join(problems)}")
    return TerminalSettings(data_dir=where, **values,
                            _token_explicit=bool(token or os.environ.get(ENV_PREFIX + "TOKEN")))


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
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "agent")
