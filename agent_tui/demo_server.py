"""The demo's embedded central server: a SQLite database in the demo data dir, a demo agent and
a shift lead with their tokens, and `python -m sync.server` on a free localhost port in a child
process (so the TUI never competes with it for the interpreter, and it can be stopped and
started again to show the offline queue draining by itself).

The server ends with its TUI however the TUI ends (Ctrl+Q, a crash, a closed terminal window, a
SIGKILL): the child is started through this module (`python -m agent_tui.demo_server`), which
asks Linux to send it SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`, made in the child
itself rather than in a `preexec_fn`, which is unsafe once threads run) and, on every platform,
watches a pipe whose other end only the TUI holds: end of file means the TUI is gone. The
database URL travels in the environment (HOTLINE_DB), not on a command line `ps` shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from models.domain.region import region as phone_region

USERS = {"demo": "agent", "lead": "lead", "history": "admin"}  # history: imports the seed


class DemoServer:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        from sync.server.run import free_port

        self.data_dir = Path(data_dir)
        self.db_url = f"sqlite:///{(self.data_dir / 'server.db').resolve()}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = self.data_dir / "server.log"
        self._lifeline: int | None = None  # the pipe's write end: closed, the server ends

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
        watched, self._lifeline = os.pipe()  # not inheritable: only this process holds the write end
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "agent_tui.demo_server", str(os.getpid()), str(watched),
                 "--port", str(self.port)],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                pass_fds=(watched,), env={**os.environ, "HOTLINE_DB": self.db_url,
                                          "HOTLINE_REGION": phone_region()})  # the terminal's
        finally:
            os.close(watched)
            log.close()
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
        lifeline, self._lifeline = self._lifeline, None
        if lifeline is not None:
            os.close(lifeline)
        if self.running:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def start_demo(ctx, agent_store, *, lead: bool = False, fresh: bool = False) -> DemoServer:
    """Start the embedded server for `hotline demo`, point `ctx` at it (as the demo agent, or
    the lead with its own store in `lead/`), and send the seeded demo cases in the background.
    `fresh`: the store was seeded just now, its queue holds only the seed (handed over as
    imported history, see `take_seed`)."""
    import threading

    from sync.client import queue
    from sync.client.credentials import write_token

    server = DemoServer(ctx.data_dir)
    tokens = server.prepare()
    server.start()
    if fresh:
        seed = take_seed(agent_store)
        threading.Thread(target=send_seed, args=(server, tokens["history"], seed),
                         daemon=True).start()
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


def take_seed(store) -> list[dict]:
    """The demo's seeded cases as imported history, taken out of the terminal's queue.

    The seed is weeks of a floor's work: departments returned and resolved cases, agents called
    back. Pushed as the demo agent, the server would refuse the departments' steps (the agent may
    not take them), so the seed goes to the server the way a city moves its history in: an
    admin's import, which keeps each case's states and events (`sync/server/received.py`). The
    terminal's next own push finds the server expecting an earlier seq and resumes
    (`resume_from`)."""
    from sqlmodel import select

    from models.store.outbox import PENDING, Outbox, case_payload, event_payload
    from models.store.tables import Case, CaseEvent

    with store.writer() as s:
        rows = s.exec(select(Outbox).where(Outbox.state == PENDING)).all()
        case_ids = sorted({r.case_id for r in rows})
        events: dict[str, list] = {}
        for e in s.exec(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))):  # type: ignore[attr-defined]
            events.setdefault(e.case_id, []).append(e)
        seed = [{"case": case_payload(c) | {"source": "import:demo"},
                 "events": [event_payload(e) for e in sorted(events.get(c.id, []), key=lambda e: e.at)]}
                for c in s.exec(select(Case).where(Case.id.in_(case_ids)))]  # type: ignore[attr-defined]
        for row in rows:
            s.delete(row)
        s.commit()
    return seed


def send_seed(server: DemoServer, token: str, seed: list[dict]) -> None:
    """`take_seed`'s cases to the demo server with the history importer's token, in batches."""
    from models.domain.ids import new_id
    from models.domain.mutations import Mutations
    from sync.client.http import ServerApi, SyncError
    from sync.protocol import MAX_BATCH, Mutation, PushRequest

    if not seed or not server.wait_ready(30):
        return
    api, client_id = ServerApi(server.url, lambda: token), new_id()
    try:
        for start in range(0, len(seed), MAX_BATCH):
            batch = [Mutation(seq=start + i + 1, name=Mutations.CASE_CREATE,
                              case_id=p["case"]["id"], payload=p)
                     for i, p in enumerate(seed[start:start + MAX_BATCH])]
            api.push(PushRequest(client_id=client_id, mutations=batch))
    except SyncError:  # the demo goes on; what arrived is what the lead sees
        pass
    finally:
        api.close()


def end_with_parent(parent: int, lifeline: int, grace: float = 5.0) -> None:
    """In the server's process: SIGTERM when `parent` dies (Linux), and when the pipe `lifeline`
    reaches end of file (the parent's end closed, however it ended); gone `grace` seconds later
    if a graceful stop hangs."""
    import signal
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the watch began
        os._exit(0)

    def watch() -> None:
        try:
            while os.read(lifeline, 1):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="lifeline").start()


if __name__ == "__main__":  # python -m agent_tui.demo_server PARENT_PID FD [server flags]
    import runpy

    end_with_parent(int(sys.argv[1]), int(sys.argv[2]))
    sys.argv = ["python -m sync.server", *sys.argv[3:]]
    runpy.run_module("sync.server", run_name="__main__", alter_sys=True)
