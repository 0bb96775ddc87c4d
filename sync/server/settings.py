"""The server's settings: one typed object, loaded once by the entry point (`hotline server`,
`python -m sync.server`) and handed to `create_app(settings)`.

Layers, lowest first: the entry point's own defaults, a TOML settings file (`--config` or
`HOTLINE_SERVER_CONFIG`; top-level keys named like the fields), the environment (`HOTLINE_` +
the field name: `HOTLINE_DB`, `HOTLINE_PORT`, `HOTLINE_MIN_PROTOCOL`, `HOTLINE_SERVER_THREADS`,
`HOTLINE_DB_TIMEOUT_S`, `HOTLINE_AUTH_MAX_FAILURES`, `HOTLINE_OPEN311_DESCRIPTIONS`, ...), then
command-line flags.

`ServerSettings(...)` itself reads nothing but its arguments, so code and tests that build one
get exactly what they wrote; only `load_settings` looks at files and the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from sync.protocol import MAX_BODY_BYTES

CONFIG_ENV = "HOTLINE_SERVER_CONFIG"
ENV_PREFIX = "HOTLINE_"

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class SettingsError(ValueError):
    """A settings file that is missing or holds a bad value, or a bad environment variable."""


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    db: str = Field("", description="database URL (postgresql+psycopg://..., sqlite:///PATH) or a "
                                    "SQLite file path; the entry point supplies its default")
    host: str = Field("127.0.0.1", description="interface to listen on")
    port: int = Field(8345, ge=0, le=65535, description="TCP port (0: any free one)")
    log_level: LogLevel = "info"
    access_log: bool = False
    min_protocol: int = Field(1, ge=0, description="oldest sync protocol a terminal may speak (426 below)")
    # Few request threads: more only fight over the interpreter lock (requests are short and
    # mostly wait for the database, whose pool is sized to match).
    server_threads: int = Field(8, ge=1, description="threads that run the (synchronous) endpoints")
    max_body_bytes: int = Field(MAX_BODY_BYTES, ge=1, description="bigger request bodies get 413")
    # The database: how long to wait before answering 503 (Retry-After) instead of hanging.
    db_timeout_s: float = Field(30.0, gt=0, le=3600, description=(
        "longest a statement (PostgreSQL statement_timeout), a wait for the SQLite write lock "
        "(busy timeout) or a wait for a pooled connection may take"))
    db_connect_timeout_s: int = Field(5, ge=1, le=300, description="PostgreSQL connect timeout")
    # Failed sign-ins, counted per client address in the database (so every server process on
    # one PostgreSQL counts together): after this many in the window, 429 with Retry-After.
    auth_max_failures: int = Field(20, ge=1, le=100_000)
    auth_window_s: int = Field(300, ge=1, le=86_400)
    # Which proxies may tell the client's address (X-Forwarded-For): uvicorn's setting.
    forwarded_allow_ips: str = Field("127.0.0.1,::1", description=(
        "addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated)"))
    # Open311 GeoReport v2 is public: what it publishes of a case.
    open311: bool = Field(True, description="serve /open311/v2 at all")
    open311_descriptions: bool = Field(False, description=(
        "publish descriptions and resolutions (free text may name people): off unless the "
        "city turns it on"))
    open311_addresses: bool = Field(False, description=(
        "publish exact addresses; off: the district stands in for the address"))
    open311_location_decimals: int = Field(3, ge=0, le=6, description=(
        "decimals of published lat/long (3: about 100 m)"))
    region: str = Field("CN", description=(
        "the country whose phone numbers callers give without a country code (CN, US, GB ...): "
        "how a number that arrives without one (Open311) is read"))

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        import phonenumbers

        code = value.strip().upper()
        if code not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a country code phone numbers know (CN, US, GB ...)")
        return code

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Arguments only: the layering is load_settings' job, done once at start.
        return (init_settings,)


def load_settings(config: str | Path | None = None, *, defaults: Mapping[str, Any] | None = None,
                  **flags: Any) -> ServerSettings:
    """Defaults < settings file < environment < flags. A flag given as None was not given.
    Raises SettingsError naming the layer at fault (the file, the environment or a flag)."""
    path = config or os.environ.get(CONFIG_ENV) or None
    values: dict[str, Any] = dict(defaults or {})
    if path is not None:
        if not Path(path).is_file():
            raise SettingsError(f"no settings file {path}")
        values |= _layer(f"settings file {path}",
                         lambda: TomlConfigSettingsSource(ServerSettings, toml_file=Path(path))())
    values |= _layer(f"environment ({ENV_PREFIX}*)", lambda: EnvSettingsSource(ServerSettings)())
    values |= _layer("flags", lambda: {k: v for k, v in flags.items() if v is not None})
    return ServerSettings(**values)


def _layer(origin: str, read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One layer's values, checked alone so that an error can say where it came from."""
    try:
        layer = read()
        ServerSettings(**layer)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise SettingsError(f"{origin}: {problems}") from None
    except (ValueError, OSError) as exc:  # unreadable file, TOML syntax
        raise SettingsError(f"{origin}: {exc}") from None
    return layer
