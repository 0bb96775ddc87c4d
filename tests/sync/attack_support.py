"""Helpers for the attack suite (`test_attack_*.py`): raw pushes as an attacker sends them
(no terminal in between), wire cases and events, a TCP proxy in front of PostgreSQL that can
refuse or black-hole connections (the database "away"), reading rows straight from the
server's database, and a process's resident memory."""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from sync.protocol import PROTOCOL_HEADER

from .sync_support import server_db


def h(token: str | None = None, *, protocol: bool = True, address: str | None = None
      ) -> dict[str, str]:
    """Headers: the bearer token, the protocol, and (through the trusted local proxy hop,
    X-Forwarded-For) the client address the server should see."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if protocol:
        headers[PROTOCOL_HEADER] = "1"
    if address:
        headers["X-Forwarded-For"] = address
    return headers


def iso(dt: datetime) -> str:
    return dt.isoformat()


def utcnow() -> datetime:
    return datetime.now(UTC)


def wire_case(case_id: str | None = None, **over: Any) -> dict[str, Any]:
    """A pushed new case as a terminal sends it (every field of the shared shape)."""
    at = over.pop("at", utcnow())
    case = dict(
        id=case_id or str(uuid.uuid4()), case_no=f"T-{uuid.uuid4().hex[:8]}", external_id=None,
        source="local", created_at=iso(at), updated_at=iso(at), caller_phone="+8613912345678",
        caller_withheld=False, caller_name="王女士", title="", description="路灯不亮 / street light out",
        address="梦都大街1号", district="建邺区", location_kind="public_road", category="street_light",
        urgency="normal", disposition="dispatch", lead_department="street_light_office",
        co_departments=[], status="dispatched", due_at=None, resolved_at=None, resolution="",
        satisfaction="", lat=None, lon=None, agent="a1", version=1, repeat_count=0)
    case.update(over)
    return case


def wire_event(case_id: str, kind: str = "note", **over: Any) -> dict[str, Any]:
    event = dict(id=str(uuid.uuid4()), case_id=case_id, kind=kind, at=iso(utcnow()), agent="a1",
                 note="回访：已联系" if kind == "note" else "", data={})
    event.update(over)
    return event


def create(case: dict[str, Any], events: list[dict[str, Any]] | None = None, seq: int = 1
           ) -> dict[str, Any]:
    return {"seq": seq, "name": "case.create.v1", "case_id": case["id"],
            "payload": {"case": case, "events": events or []}}


def event(ev: dict[str, Any], seq: int, name: str | None = None) -> dict[str, Any]:
    name = name or ("case.note.v1" if ev["kind"] == "note" else "case.event.v1")
    return {"seq": seq, "name": name, "case_id": ev["case_id"], "payload": {"event": ev}}


def fields(case_id: str, seq: int, **changes: tuple[Any, Any]) -> dict[str, Any]:
    return {"seq": seq, "name": "case.fields.v1", "case_id": case_id,
            "payload": {"fields": {k: {"old": o, "new": n} for k, (o, n) in changes.items()}}}


class Terminal:
    """An attacker's terminal: raw pushes with its own client id and sequence numbers."""

    def __init__(self, url: str, token: str, client_id: str | None = None) -> None:
        self.url, self.token = url, token
        self.client_id = client_id or str(uuid.uuid4())
        self.seq = 0

    def push(self, *mutations: dict[str, Any], **extra: Any) -> httpx.Response:
        numbered = []
        for m in mutations:
            self.seq += 1
            numbered.append({**m, "seq": self.seq})
        return httpx.post(self.url + "/v1/push", headers=h(self.token), timeout=60,
                          json={"client_id": self.client_id, "mutations": numbered, **extra})

    def results(self, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.push(*mutations)
        assert r.status_code == 200, r.text[:500]
        return r.json()["results"]

    def pull(self, cursor: int = 0) -> httpx.Response:
        return httpx.post(self.url + "/v1/pull", headers=h(self.token), timeout=60,
                          json={"client_id": self.client_id, "cursor": cursor})


_STORED_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_JSON_COLUMNS = {"data", "co_departments", "case_ids", "detail", "base", "theirs", "mine"}


class Row(tuple):
    """A result row read the same on both databases: times as aware datetimes (SQLite stores
    them as text), JSON columns as values; by position or by name."""

    def __new__(cls, names: list[str], values: list[Any]) -> Row:
        row = super().__new__(cls, [_typed(n, v) for n, v in zip(names, values, strict=True)])
        row._names = names
        return row

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._names.index(name)]
        except ValueError:
            raise AttributeError(name) from None


def _typed(name: str, value: Any) -> Any:
    if isinstance(value, str):
        if _STORED_TIME.fullmatch(value):
            return datetime.fromisoformat(value)
        if name in _JSON_COLUMNS:
            return json.loads(value)
    return value


def rows(db_url: str, sql: str, **params: Any) -> list[Row]:
    db = server_db(db_url)
    try:
        with db.engine.connect() as conn:
            result = conn.execute(text(sql), params)
            names = list(result.keys())
            return [Row(names, list(r)) for r in result]
    finally:
        db.dispose()


def execute(db_url: str, sql: str, **params: Any) -> None:
    db = server_db(db_url)
    try:
        with db.write_engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        db.dispose()


def near_now(value: datetime, slack: timedelta = timedelta(minutes=5)) -> bool:
    return abs(value - utcnow()) < slack


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children's threads (VmRSS), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class TcpProxy:
    """A TCP proxy on a free localhost port in front of `target` (PostgreSQL). Modes:

    - `up`: forwards both ways;
    - `refused`: every open connection is cut and new ones are refused (the database is away);
    - `blackhole`: open connections are cut, new ones are accepted and never answered (a
      database host that does not respond: only a connect timeout ends the wait).
    """

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = _free_port()
        self.mode = "up"
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._start_listening()

    def _start_listening(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(client)
            if self.mode == "blackhole":
                continue  # held open, never answered
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _cut_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def set(self, mode: str) -> None:
        self._cut_all()
        if mode == "refused" and self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        if mode != "refused" and self._listener is None:
            self._start_listening()
        self.mode = mode

    def url(self, database_url: str) -> str:
        """`database_url` (a PostgreSQL URL on 127.0.0.1:5432) through this proxy."""
        return database_url.replace("127.0.0.1:5432", f"127.0.0.1:{self.port}")

    def close(self) -> None:
        self.set("refused")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
