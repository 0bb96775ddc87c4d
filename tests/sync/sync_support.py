"""Helpers for the sync fault tests and benchmarks: real servers (in a thread or a subprocess)
on free localhost ports, a fresh PostgreSQL database per test, a fault-injecting httpx
transport, quick ways to fill a terminal's queue, and the exactly-once / convergence checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pg_reachable() -> str:
    """'' when PostgreSQL answers, else the reason."""
    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return ""
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN}: {type(exc).__name__}: {exc}"[:300]


class PgDatabases:
    """Creates fresh databases `hotline_test_<run>_<n>` and drops them all at the end."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:8]
        self.made: list[str] = []
        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")

    def new(self) -> str:
        name = f"hotline_test_{self.run}_{len(self.made)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.made.append(name)
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


class ServerProcess:
    """`python -m sync.server` in its own process group: killable with SIGKILL, restartable."""

    def __init__(self, db_url: str, port: int | None = None, env: dict[str, str] | None = None) -> None:
        from sync.server.run import free_port

        self.db_url, self.port = db_url, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sync.server", "--db", self.db_url, "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


class FaultTransport(httpx.BaseTransport):
    """Wraps a real transport; `faults` is consumed one per request:

    None (pass), "drop" (never sent), "lose" (sent and committed, the answer lost),
    ("status", code, retry_after) (answered by a 'proxy' without reaching the server),
    ("delay", seconds) (sent late), "twice" (sent twice, the second answer returned).
    """

    def __init__(self, faults: list | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.faults = list(faults or [])
        self.log: list[tuple[str, str, int]] = []  # (path, fault, status)
        self.bytes_sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self.faults.pop(0) if self.faults else None
        name = fault if isinstance(fault, str) or fault is None else fault[0]
        path = request.url.path
        if fault == "drop":
            self.log.append((path, "drop", 0))
            raise httpx.ConnectError("injected: request dropped", request=request)
        if isinstance(fault, tuple) and fault[0] == "status":
            headers = {"Retry-After": str(fault[2])} if fault[2] is not None else {}
            self.log.append((path, "status", fault[1]))
            return httpx.Response(fault[1], headers=headers, json={"error": "injected"},
                                  request=request)
        if isinstance(fault, tuple) and fault[0] == "delay":
            time.sleep(fault[1])
        body = request.read()
        self.bytes_sent += len(body)
        if fault == "twice":
            first = self.inner.handle_request(request)
            first.read()
            first.close()
        response = self.inner.handle_request(request)
        response.read()
        self.log.append((path, str(name), response.status_code))
        if fault == "lose":
            response.close()
            raise httpx.ReadError("injected: response lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def new_store(path: Path, prefix: str = "T"):
    from models.reference.catalogue import ensure_catalogue
    from models.store import open_store

    store = open_store(path)
    store.set_meta("terminal_prefix", prefix)
    with store.writer() as s:
        ensure_catalogue(s)
    return store


def draft(i: int, **over):
    from models.domain.case_shape import CaseDraft

    values = dict(description=f"路灯不亮 {i} / street light out #{i}", address=f"梦都大街{i}号",
                  category="street_light", lead_department="street_light_office",
                  caller_phone="13912345678", caller_name="王女士", notes=f"note {i}")
    values.update(over)
    return CaseDraft(**values)


def file_cases(store, n: int, agent: str = "a1", at=None, start: int = 0) -> list[str]:
    """File n cases through the intake save path (one transaction each); returns their ids."""
    from models.cases import file_case

    return [file_case(store, draft(start + i), agent, at).id for i in range(n)]


def bulk_queue(store, n: int, agent: str = "a1", tag: str = "bulk") -> list[str]:
    """Queue n cases fast (setup for big queues): the same rows and outbox writer as the save
    path, without the per-case validation lookups."""
    from models.domain.enums import EventKind
    from models.domain.ids import new_id
    from models.domain.timeutil import now
    from models.store.outbox import enqueue_case_created
    from models.store.tables import Case, CaseEvent

    ids = []
    base = now()
    with store.writer() as s:
        for i in range(n):
            at = base + timedelta(milliseconds=i)
            case = Case(id=new_id(), case_no=f"{tag}-{i:06d}", created_at=at, updated_at=at,
                        description=f"{tag} 路灯不亮 {i}", address=f"梦都大街{i}号",
                        category="street_light", lead_department="street_light_office",
                        status="dispatched", agent=agent, caller_phone="+8613912345678")
            event = CaseEvent(id=new_id(), case_id=case.id, kind=EventKind.CREATED, at=at,
                              agent=agent, data={"disposition": "dispatch"})
            s.add(case)
            s.add(event)
            enqueue_case_created(s, case, [event])
            ids.append(case.id)
        s.commit()
    return ids


def server_db(db_url: str):
    from sync.server.db import Database

    return Database(db_url, pool_size=2)


def check_exactly_once(db_url: str, client_id: str, expected: list[tuple[str, str]]) -> None:
    """The server processed this terminal's mutations 1..N once each, in the order saved:
    `expected` is [(name, case_id)] in save order (for applied ones)."""
    db = server_db(db_url)
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT seq, name, case_id, outcome FROM mutation WHERE client_id = :c ORDER BY seq"),
                {"c": client_id}).all()
            seqs = [r.seq for r in rows]
            assert seqs == list(range(1, len(rows) + 1)), "gap or repeat in processed seqs"
            applied = [(r.name, r.case_id) for r in rows if r.outcome in ("applied", "conflict")]
            assert applied == expected, "server order differs from save order"
            created = [cid for name, cid in expected if name == "case.create.v1"]
            if created:
                n = conn.execute(text('SELECT count(*) FROM "case" WHERE id IN :ids').bindparams(
                    __import__("sqlalchemy").bindparam("ids", expanding=True)), {"ids": created}).scalar()
                assert n == len(created), "a created case is missing or doubled on the server"
    finally:
        db.dispose()


def local_mutations(store) -> list[tuple[str, str]]:
    """(name, case_id) of every mutation this store ever queued, from its case/event rows:
    used before syncing to remember the save order."""
    with store.session() as s:
        return [(r[0], r[1]) for r in s.execute(text(
            "SELECT name, case_id FROM outbox ORDER BY seq")).all()]


def server_snapshot(db_url: str) -> dict[str, tuple]:
    db = server_db(db_url)
    try:
        with db.engine.connect() as conn:
            cases = {r.id: (r.status, r.address, r.version) for r in conn.execute(text(
                'SELECT id, status, address, version FROM "case"'))}
            events = conn.execute(text("SELECT case_id, count(*) FROM caseevent GROUP BY case_id")).all()
    finally:
        db.dispose()
    return {cid: (*v, dict(events).get(cid, 0)) for cid, v in cases.items()}


def local_snapshot(store) -> dict[str, tuple]:
    with store.session() as s:
        cases = {r[0]: (r[1], r[2], r[3]) for r in s.execute(text(
            'SELECT id, status, address, version FROM "case"'))}
        events = dict(s.execute(text("SELECT case_id, count(*) FROM caseevent GROUP BY case_id")).all())
    return {cid: (*v, events.get(cid, 0)) for cid, v in cases.items()}


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
