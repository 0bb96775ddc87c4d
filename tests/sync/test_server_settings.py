"""The server's settings (`sync.server.settings`): a TOML file, then HOTLINE_* variables, then
flags, each over the one before; loaded once by `hotline server` and `python -m sync.server`,
never read again inside `create_app`."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from sync.server.settings import ServerSettings, SettingsError, load_settings

from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import ROOT, ServerProcess

ENV = ("HOTLINE_SERVER_CONFIG", "HOTLINE_DB", "HOTLINE_HOST", "HOTLINE_PORT",
       "HOTLINE_MIN_PROTOCOL", "HOTLINE_SERVER_THREADS", "HOTLINE_MAX_BODY_BYTES",
       "HOTLINE_LOG_LEVEL", "HOTLINE_ACCESS_LOG")


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_file_then_environment_then_flags(tmp_path, clean_env):
    config = tmp_path / "server.toml"
    config.write_text('db = "sqlite:///from-file.db"\nport = 1111\nmin_protocol = 3\n'
                      'server_threads = 4\nlog_level = "debug"\n')
    from_file = load_settings(config)
    assert (from_file.db, from_file.port, from_file.min_protocol, from_file.server_threads,
            from_file.log_level, from_file.host) == ("sqlite:///from-file.db", 1111, 3, 4, "debug",
                                                     "127.0.0.1")
    # Today's variable names still work, and the environment beats the file.
    clean_env.setenv("HOTLINE_PORT", "2222")
    clean_env.setenv("HOTLINE_MIN_PROTOCOL", "2")
    clean_env.setenv("HOTLINE_SERVER_THREADS", "6")
    clean_env.setenv("HOTLINE_DB", "postgresql://env/db")
    from_env = load_settings(config)
    assert (from_env.db, from_env.port, from_env.min_protocol, from_env.server_threads,
            from_env.log_level) == ("postgresql://env/db", 2222, 2, 6, "debug")
    # Flags beat both; a flag given as None was not given.
    flagged = load_settings(config, port=3333, db="flag.db", host=None)
    assert (flagged.db, flagged.port, flagged.min_protocol, flagged.host) == (
        "flag.db", 3333, 2, "127.0.0.1")
    # The file may come from HOTLINE_SERVER_CONFIG; an entry point's defaults sit under it all.
    clean_env.setenv("HOTLINE_SERVER_CONFIG", str(config))
    assert load_settings(defaults={"log_level": "warning", "host": "::1"}).log_level == "debug"
    assert load_settings(defaults={"host": "::1"}).host == "::1"


def test_settings_objects_read_only_their_arguments(clean_env):
    clean_env.setenv("HOTLINE_MIN_PROTOCOL", "7")
    assert ServerSettings().min_protocol == 1  # what create_app gets is what the caller built
    assert ServerSettings(min_protocol=2).min_protocol == 2


def test_bad_settings_say_where_they_came_from(tmp_path, clean_env):
    config = tmp_path / "server.toml"
    config.write_text('port = "eighty"\n')
    with pytest.raises(SettingsError, match=r"settings file .*server.toml: port"):
        load_settings(config)
    config.write_text('prot = 8345\n')  # a typo is refused, not ignored
    with pytest.raises(SettingsError, match="prot"):
        load_settings(config)
    with pytest.raises(SettingsError, match="no settings file"):
        load_settings(tmp_path / "missing.toml")
    clean_env.setenv("HOTLINE_SERVER_THREADS", "0")
    with pytest.raises(SettingsError, match=r"environment .*server_threads"):
        load_settings()


def _hotline_server(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ENV}
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", "server", "--migrate-only", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**base, "HOTLINE_LANG": "en", **env})


def test_hotline_server_takes_its_database_from_file_env_or_flag(tmp_path):
    """`hotline server --migrate-only` migrates the database the layers name, and only that."""
    dbs = {name: tmp_path / f"{name}.db" for name in ("file", "env", "flag")}
    config = tmp_path / "server.toml"
    config.write_text(f'db = "sqlite:///{dbs["file"]}"\n')
    r = _hotline_server("--config", str(config), "--data-dir", str(tmp_path / "d"), env={})
    assert r.returncode == 0 and "-> " in r.stdout, r.stderr
    assert [p.name for p in tmp_path.glob("*.db")] == ["file.db"]
    env = {"HOTLINE_SERVER_CONFIG": str(config), "HOTLINE_DB": str(dbs["env"])}
    assert _hotline_server("--data-dir", str(tmp_path / "d"), env=env).returncode == 0
    assert dbs["env"].exists()
    assert _hotline_server("--db", str(dbs["flag"]), "--data-dir", str(tmp_path / "d"),
                           env=env).returncode == 0
    assert sorted(p.name for p in tmp_path.glob("*.db")) == ["env.db", "file.db", "flag.db"]
    assert not (tmp_path / "d" / "server.db").exists()  # the data dir's default went unused
    bad = _hotline_server("--config", str(tmp_path / "missing.toml"), env={})
    assert bad.returncode == 2 and "no settings file" in bad.stderr


def test_python_m_sync_server_reads_file_and_environment(db_url, tmp_path):
    config = tmp_path / "server.toml"
    config.write_text("min_protocol = 3\nserver_threads = 2\n")
    srv = ServerProcess(db_url, env={"HOTLINE_SERVER_CONFIG": str(config)}).start()
    try:
        assert httpx.get(srv.url + "/healthz").json()["min_protocol"] == 3
    finally:
        srv.stop()
    srv = ServerProcess(db_url, env={"HOTLINE_SERVER_CONFIG": str(config),
                                     "HOTLINE_MIN_PROTOCOL": "2"}).start()
    try:
        assert httpx.get(srv.url + "/healthz").json()["min_protocol"] == 2
    finally:
        srv.stop()
