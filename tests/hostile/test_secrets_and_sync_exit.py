"""Issue 10: a token need never be on a command line (`ps` shows argv to every local user), and
`hotline sync` exits 1 when the server rejected something, against a real server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = ("HOTLINE_DATA_DIR", "HOTLINE_SERVER", "HOTLINE_TOKEN", "HOTLINE_TOKEN_FILE", "HOTLINE_LANG",
       "HOTLINE_AGENT", "HOTLINE_KEYMAP", "HOTLINE_DB")


def hotline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ENV}
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, env={**clean, "HOTLINE_LANG": "en",
                                                                 **(env or {})})


def file_case(data: Path) -> None:
    r = hotline("new", "--data-dir", str(data), "--description", "路灯不亮", "--address", "梦都大街",
                "--department", "street_light_office")
    assert r.returncode == 0, r.stderr


@pytest.fixture
def sqlite_server(tmp_path):
    """The server on SQLite only (PostgreSQL adds nothing to what the terminal does here)."""
    from sync.server.run import ThreadedServer

    srv = ThreadedServer(f"sqlite:///{tmp_path / 'server.db'}").start()
    yield srv, f"sqlite:///{tmp_path / 'server.db'}"
    srv.stop()


def _user(db_url: str, name: str) -> str:
    r = hotline("user", "add", name, "--role", "agent", env={"HOTLINE_DB": db_url})  # --db from env
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_token_from_a_file_or_the_environment_never_the_command_line(tmp_path, sqlite_server):
    srv, db_url = sqlite_server
    token = _user(db_url, "clerk")
    secret = tmp_path / "secret"
    secret.write_text(token + "\n", encoding="utf-8")
    os.chmod(secret, 0o600)
    runs = {
        "--token-file": (["--token-file", str(secret)], {}),
        "HOTLINE_TOKEN_FILE": ([], {"HOTLINE_TOKEN_FILE": str(secret)}),
        "HOTLINE_TOKEN": ([], {"HOTLINE_TOKEN": token}),
    }
    for name, (flags, env) in runs.items():
        data = tmp_path / name
        file_case(data)
        argv = ["sync", "--data-dir", str(data), "--server", srv.url, *flags]
        assert not any(token in a for a in argv)  # what `ps` would show
        r = hotline(*argv, env=env)
        assert r.returncode == 0, (name, r.stderr)
        assert "applied 1" in r.stderr and token not in r.stdout + r.stderr
    # a token file that is not there is a sentence naming it, not a traceback
    r = hotline("sync", "--data-dir", str(tmp_path / "x"), "--server", srv.url, "--token-file",
                str(tmp_path / "missing"))
    assert r.returncode == 1 and "token file" in r.stderr and "Traceback" not in r.stderr
    secret.write_text("", encoding="utf-8")
    r = hotline("sync", "--data-dir", str(tmp_path / "x"), "--server", srv.url,
                env={"HOTLINE_TOKEN_FILE": str(secret)})
    assert r.returncode == 1 and "is empty" in r.stderr


def test_sync_exits_1_when_the_server_rejects_a_change(tmp_path, sqlite_server):
    srv, db_url = sqlite_server
    token = _user(db_url, "clerk")
    data = tmp_path / "term"
    file_case(data)
    file_case(data)
    # The first change is altered after it was queued (as an older terminal or a bug might):
    # the server refuses its urgency; the second is fine.
    [db] = [p for p in data.iterdir() if p.suffix == ".db"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE outbox SET payload = json_set(payload, '$.case.urgency', 'apocalyptic') "
                     "WHERE seq = 1")
    env = {"HOTLINE_TOKEN": token}
    r = hotline("sync", "--data-dir", str(data), "--server", srv.url, "--json", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["exit"] == 1 and out["report"]["rejected"] == 1 and out["report"]["applied"] == 1
    listed = json.loads(hotline("queue", "--list", "--json", "--data-dir", str(data)).stdout)
    assert [(i["seq"], i["state"]) for i in listed["items"]] == [(1, "rejected")]
    assert "urgency" in listed["items"][0]["reason"]
    # nothing new rejected in the next run: the queue is empty, exit 0
    assert hotline("sync", "--data-dir", str(data), "--server", srv.url, env=env).returncode == 0


def test_the_servers_database_from_the_environment(tmp_path):
    """`hotline server` takes its database from HOTLINE_DB: no URL (which may hold a password)
    on its command line; the SQLite file is made private."""
    import stat

    path = tmp_path / "srv" / "central.db"
    path.parent.mkdir()
    r = hotline("server", "--migrate-only", "--data-dir", str(tmp_path / "data"),
                env={"HOTLINE_DB": f"sqlite:///{path}"})
    assert r.returncode == 0, r.stderr
    assert "schema:" in r.stdout and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (tmp_path / "data" / "server.db").exists()  # not the default
