"""The demo's embedded central server: a SQLite database in the demo data dir, a demo agent and
a shift lead with their tokens, and `python -m sync.server` on a free localhost port in a child
process (so the TUI never competes with it for the interpreter, and it can be stopped and
started again to show the offline queue draining by itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

USERS = {"demo": "agent", "lead": "lead"}


class DemoServer:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        from sync.server.run import free_port

        self.data_dir = Path(data_dir)
        self.db_url = f"sqlite:///{(self.data_dir / 'server.db').resolve()}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = self.data_dir / "server.log"

    def prepare(self) -> dict[str, str]:
        """Migrate the server database, make the demo users once, and publish the demo
        knowledge articles there (again: changes nothing); returns the users' tokens.

        The demo terminal's store holds the same articles from its own seed (`models.demo`), so
        that `hotline demo --no-server` and the first seconds before a sync have them too; the
        ids and content are the same, so its first pull takes the server's copies at the same
        version, and from then on what the lead publishes or withdraws here reaches it."""
        from models.kb.demo import DEMO_ARTICLES
        from sync.server.auth import User, add_user
        from sync.server.db import Database
        from sync.server.kb import import_folder
        from sync.server.migrate import upgrade

        path = self.data_dir / "demo-tokens.json"
        tokens = json.loads(path.read_text()) if path.exists() else {}
        db = Database(self.db_url)
        try:
            upgrade(db)
            for user, role in USERS.items():
                if user not in tokens:
                    tokens[user] = add_user(db, user, role)
            import_folder(db, DEMO_ARTICLES, User("lead", "lead"))
        finally:
            db.dispose()
        path.write_text(json.dumps(tokens))
        os.chmod(path, 0o600)
        return tokens

    def start(self, wait: float = 0.0) -> DemoServer:
        log = open(self.log, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.server", "--db", self.db_url, "--port", str(self.port)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        if wait:
            self.wait_ready(wait)
        return self

    def wait_ready(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if httpx.get(self.url + "/healthz", timeout=0.5).status_code == 200:
                    return True
            except httpx.HTTPError:
                time.sleep(0.1)
        return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.running:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def start_demo(ctx, agent_store, *, lead: bool = False) -> DemoServer:
    """Start the embedded server for `hotline demo`, point `ctx` at it (as the demo agent, or
    the lead with its own store in `lead/`), and send the seeded demo cases in the background."""
    import threading

    from sync.client import queue
    from sync.client.credentials import write_token

    server = DemoServer(ctx.data_dir)
    tokens = server.prepare()
    server.start()
    agent_store.set_meta(queue.SERVER, server.url)
    write_token(agent_store.data_dir, tokens["demo"])
    if lead:
        ctx.update(data_dir=ctx.data_dir / "lead")
        if not ctx.agent_given:
            ctx.update(agent="lead")

        def seed_server() -> None:  # the agent's seeded cases reach the server for the lead
            from sync.client.engine import SyncEngine

            if server.wait_ready(30):
                engine = SyncEngine(agent_store, server.url, tokens["demo"])
                try:
                    engine.run(attempts=3)
                except Exception:  # noqa: BLE001 - the demo goes on; the lead sees what arrived
                    pass
                finally:
                    engine.close()

        threading.Thread(target=seed_server, daemon=True).start()
    ctx.update(server=server.url, token=tokens["lead" if lead else "demo"])
    return server
