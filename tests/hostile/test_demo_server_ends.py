"""Issue 10: the demo's embedded server ends with its TUI, however the TUI ends (here: SIGKILL,
as when a terminal window is closed hard). A real `hotline demo` in a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _default_hangup() -> None:
    """In the child: SIGHUP's default action, as a terminal's hangup meets it. A suite started
    under `nohup` passes SIGHUP ignored to its children, and the TUI would outlive the signal."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGHUP], ids=["kill", "hup"])
def test_the_demo_server_ends_with_its_tui(tmp_path, how):
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(TERM="xterm-256color", HOTLINE_LANG="en")
    tui = subprocess.Popen([sys.executable, "-m", "agent_tui.cli", "demo", "--cases", "20",
                            "--data-dir", str(tmp_path / "demo")], cwd=ROOT, env=env,
                           stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True,
                           preexec_fn=_default_hangup)
    os.close(secondary)
    server, port = None, 0
    try:
        end = time.monotonic() + 120
        while time.monotonic() < end and not port:
            try:
                os.read(primary, 65536)  # keep the TUI's output flowing
            except OSError:
                pass
            for pid in children(tui.pid):
                argv = cmdline(pid)
                if "--port" in argv and port_open(int(argv[argv.index("--port") + 1])):
                    server, port = pid, int(argv[argv.index("--port") + 1])
            time.sleep(0.2)
        assert server, "the demo's server never answered"
        assert not any("sqlite" in a for a in cmdline(server))  # the database URL is not in argv
        os.kill(tui.pid, how)
        tui.wait(10)
        end = time.monotonic() + 10
        while time.monotonic() < end and (alive(server) or port_open(port)):
            time.sleep(0.1)
        assert not alive(server), "the server outlived its TUI"
        assert not port_open(port), "the server's port is still taken"
    finally:
        if tui.poll() is None:
            tui.kill()
        if server and alive(server):
            os.kill(server, signal.SIGKILL)
        os.close(primary)
