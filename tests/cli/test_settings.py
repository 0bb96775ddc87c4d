"""The terminal's settings (file, then environment, then flags), the token file, and the common
options on bare `hotline`: real files, real processes, a real terminal for the TUI."""

from __future__ import annotations

import os
import re
import select
import stat
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from agent_tui.settings import SettingsError, load_settings
from sync.client.credentials import LEGACY_META_KEY, read_token, stored_token, write_token

ENV = ("HOTLINE_DATA_DIR", "HOTLINE_SERVER", "HOTLINE_TOKEN", "HOTLINE_LANG", "HOTLINE_AGENT",
       "HOTLINE_KEYMAP", "HOTLINE_REGION")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_then_environment_then_flags(tmp_path, monkeypatch):
    (tmp_path / "settings.toml").write_text(
        'server = "http://file:1"\nlang = "zh"\nagent = "from-file"\n[keymap]\nnew_call = "f9"\n',
        encoding="utf-8")
    s = load_settings(data_dir=tmp_path)
    assert (s.server, s.language, s.agent_id, s.keymap) == (
        "http://file:1", "zh", "from-file", {"new_call": "f9"})
    monkeypatch.setenv("HOTLINE_SERVER", "http://env:2")
    monkeypatch.setenv("HOTLINE_AGENT", "from-env")
    s = load_settings(data_dir=tmp_path)
    assert (s.server, s.agent_id, s.language) == ("http://env:2", "from-env", "zh")
    s = load_settings(data_dir=tmp_path, server="http://flag:3", lang="en")
    assert (s.server, s.agent_id, s.language) == ("http://flag:3", "from-env", "en")


def test_data_dir_from_the_flag_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "env"))
    assert load_settings().data_dir == tmp_path / "env"
    assert load_settings(data_dir=tmp_path / "flag").data_dir == tmp_path / "flag"


def test_the_token_comes_from_its_file_and_is_never_shown(tmp_path, monkeypatch):
    write_token(tmp_path, "u1.s3cret")
    s = load_settings(data_dir=tmp_path)
    assert s.token_value() == "u1.s3cret" and not s.token_explicit
    assert "s3cret" not in repr(s) and "s3cret" not in str(s)
    monkeypatch.setenv("HOTLINE_TOKEN", "u2.env")
    s = load_settings(data_dir=tmp_path)
    assert s.token_value() == "u2.env" and s.token_explicit
    assert load_settings(data_dir=tmp_path, token="u3.flag").token_value() == "u3.flag"


def test_the_settings_file_refuses_a_token_unknown_keys_and_unknown_actions(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('token = "u1.s3cret"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="token does not belong") as exc:
        load_settings(data_dir=tmp_path)
    assert "s3cret" not in str(exc.value)
    path.write_text('sever = "http://typo"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="unknown setting sever"):
        load_settings(data_dir=tmp_path)
    path.write_text('[keymap]\nsave_all = "ctrl+a"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="no such action: save_all"):
        load_settings(data_dir=tmp_path)


def test_token_file_is_private_and_replaced_whole(tmp_path):
    data = tmp_path / "data"
    path = write_token(data, "u1.first")
    assert mode(path) == 0o600 and mode(data) == 0o700
    write_token(data, "u1.second")
    assert read_token(data) == "u1.second" and mode(path) == 0o600
    assert [p.name for p in data.iterdir()] == ["token"]  # no scratch file left behind
    os.chmod(path, 0o644)  # loosened by hand: tightened again on the next read
    assert read_token(data) == "u1.second" and mode(path) == 0o600


def test_a_token_left_in_the_store_moves_to_the_file(store):
    store.set_meta(LEGACY_META_KEY, "u1.old")
    assert stored_token(store) == "u1.old"
    assert store.get_meta(LEGACY_META_KEY) == ""
    assert read_token(store.data_dir) == "u1.old"
    assert mode(store.data_dir / "token") == 0o600


def hotline(*args: str, env_extra: dict | None = None, check: bool = True):
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_sync_remember_keeps_the_token_in_its_file_not_the_store(tmp_path):
    from models.store import open_store

    proc = hotline("sync", "--server", "http://127.0.0.1:9", "--token", "u1.s3cret",
                   "--remember", "--attempts", "1", "--timeout", "1",
                   "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 1  # nobody listens there: the queue stays
    assert "s3cret" not in proc.stdout + proc.stderr
    assert read_token(tmp_path) == "u1.s3cret" and mode(tmp_path / "token") == 0o600
    with open_store(tmp_path).raw() as conn:
        values = [v for (v,) in conn.execute("SELECT value FROM meta").fetchall()]
    assert "u1.s3cret" not in values


def test_the_phone_region_comes_from_the_settings_and_reaches_every_number(tmp_path):
    """A US line's settings say region = "US": `hotline new` reads 212 555 0100 as New York's,
    an import's reading process too; the environment wins over the file; a bad code is refused
    naming the setting."""
    (tmp_path / "settings.toml").write_text('region = "us"\n', encoding="utf-8")
    assert load_settings(data_dir=tmp_path).region == "US"
    hotline("new", "--data-dir", str(tmp_path), "--phone", "212 555 0100", "--description",
            "Street light out", "--disposition", "answered")
    csv = tmp_path / "history.csv"
    csv.write_text("case_id,caller_phone,description\nA1,(212) 555-0199,Pothole\n", encoding="utf-8")
    hotline("import", str(csv), "--data-dir", str(tmp_path))
    hotline("new", "--data-dir", str(tmp_path), "--phone", "212 555 0100", "--description",
            "路灯不亮", "--disposition", "answered", env_extra={"HOTLINE_REGION": "CN"})
    out = hotline("cases", "--json", "--data-dir", str(tmp_path)).stdout
    phones = sorted(re.findall(r'"caller_phone": "([^"]*)"', out))
    assert phones == ["+12125550100", "+12125550199", "+862125550100"]
    (tmp_path / "settings.toml").write_text('region = "USA"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="region: .*two-letter"):
        load_settings(data_dir=tmp_path)


def test_options_given_to_hotline_reach_the_command(tmp_path):
    number = hotline("--data-dir", str(tmp_path), "--agent", "a07", "new", "--description",
                     "咨询", "--disposition", "answered",
                     env_extra={"HOTLINE_DATA_DIR": str(tmp_path / "elsewhere")}).stdout.strip()
    out = hotline("cases", "--json", "--data-dir", str(tmp_path)).stdout
    assert number in out and '"agent": "a07"' in out


def test_bare_hotline_takes_the_common_options(tmp_path, monkeypatch):
    """In-process: the group's options become the TUI's settings."""
    from agent_tui import cli
    from agent_tui.commands import tui

    seen = {}
    monkeypatch.setattr(tui, "run_tui", lambda ctx: seen.update(settings=ctx.settings))
    result = CliRunner().invoke(cli.cli, ["--data-dir", str(tmp_path), "--lang", "en",
                                          "--server", "http://s:1", "--token", "u1.t",
                                          "--agent", "a09"])
    assert result.exit_code == 0, result.output
    s = seen["settings"]
    assert (s.data_dir, s.language, s.server, s.token_value(), s.agent_id) == (
        tmp_path, "en", "http://s:1", "u1.t", "a09")


def test_bare_hotline_with_data_dir_and_lang_opens_the_form_there(tmp_path):
    """A real terminal (a pty): `hotline --data-dir D --lang en` shows the English form on D."""
    import fcntl
    import pty
    import struct
    import termios

    data = tmp_path / "d"
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    env.update(TERM="xterm-256color", HOTLINE_LANG="zh", HOTLINE_DATA_DIR=str(tmp_path / "no"))
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "agent_tui.cli", "--data-dir", str(data),
                             "--lang", "en"], stdin=child, stdout=child, stderr=child, env=env,
                            close_fds=True)
    os.close(child)
    screen = b""
    try:
        end = time.monotonic() + 60
        while b"Ready for a call" not in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", screen):
            assert time.monotonic() < end, screen[-2000:]
            if select.select([main], [], [], 0.5)[0]:
                screen += os.read(main, 65536)
        os.write(main, b"\x11")  # Ctrl+Q
        end = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < end:  # keep reading: never block it
            if select.select([main], [], [], 0.2)[0]:
                try:
                    os.read(main, 65536)
                except OSError:
                    break
        assert proc.wait(5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main)
    assert (data / "hotline.db").exists() and not (tmp_path / "no").exists()
