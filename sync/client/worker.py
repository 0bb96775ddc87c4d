"""The background sync worker for the TUI: a thread, no UI.

It drains the outbox and pulls updates: on `wake()` (call it after each save, and on
reconnect), on a timer (`interval`), and whenever rows are pending or the last pass failed and
the backoff has run out (so neither a queue nor a terminal that started before its server waits
for the next save or the timer). Failures back off with full jitter, honouring
Retry-After. A 401 asks the token source again; "client too old" stops sending until woken.

`status` is a snapshot (`SyncStatus`) safe to read from any thread; listeners registered with
`add_listener` are called from the worker thread on every change (a Textual app should hop to
its own thread with `call_from_thread` or `post_message`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from models.store import Store

from . import queue
from .backoff import Backoff
from .engine import SyncEngine
from .http import AuthFailed, Offline, SyncError, TooOld

# States shown by the status line.
LOCAL, CONNECTING, ONLINE, SENDING, OFFLINE, AUTH, TOO_OLD, ERROR = (
    "local", "connecting", "online", "sending", "offline", "auth", "too_old", "error")


@dataclass(frozen=True)
class SyncStatus:
    state: str = LOCAL  # local (no server) | connecting | online | sending | offline | auth |
    #                     too_old | error
    queue: int = 0  # pending outbox rows
    oldest_age: float | None = None  # seconds the oldest pending row has waited
    rejected: int = 0
    conflicts: int = 0
    last_error: str = ""
    last_ok: float | None = None  # time.time() of the last successful pass
    retry_in: float | None = None  # seconds to the next attempt while offline
    pulling: tuple[int, int] | None = None  # (done, total) while a pull of several pages runs


class SyncWorker:
    def __init__(self, store: Store, server: str, token: str | Callable[[], str] = "", *,
                 interval: float = 30.0, poll: float = 1.0, backoff: Backoff | None = None,
                 transport=None) -> None:
        self.store, self.server = store, server
        self.interval, self.poll = interval, poll
        self.backoff = backoff or Backoff(base=1.0, cap=30.0)
        self.engine = SyncEngine(store, server, token, transport=transport) if server else None
        self._status = SyncStatus(state=LOCAL if not server else CONNECTING)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._listeners: list[Callable[[SyncStatus], None]] = []
        self._thread = threading.Thread(target=self._run, daemon=True, name="hotline-sync")
        self._next_attempt = 0.0
        self._last_pass = 0.0
        self._halted = False  # too old / auth: wait for wake()

    # --- API for the TUI ---------------------------------------------------------------
    def start(self) -> SyncWorker:
        self._refresh_counts()
        if self.engine is not None:
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self.engine is not None:
            self.engine.close()

    def wake(self) -> None:
        """Something was saved, or the network is back: try now (backoff resumes after)."""
        self._next_attempt = 0.0
        self._halted = False
        self._wake.set()

    @property
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def add_listener(self, callback: Callable[[SyncStatus], None]) -> None:
        self._listeners.append(callback)

    def pending(self) -> int:
        """Fresh count of unsent rows (for the quit warning)."""
        return queue.pending_count(self.store)

    # --- the thread ----------------------------------------------------------------------
    def _publish(self, **changes) -> None:
        with self._lock:
            new = replace(self._status, **changes)
            changed = new != self._status
            self._status = new
        if changed:
            for callback in list(self._listeners):
                try:
                    callback(new)
                except Exception:  # noqa: BLE001 - a listener must not kill the worker
                    pass

    def _refresh_counts(self, **extra) -> None:
        info = queue.info(self.store)
        self._publish(queue=info.pending, oldest_age=info.oldest_age, rejected=info.rejected,
                      conflicts=info.conflicts, **extra)

    def _run(self) -> None:
        while not self._stop.is_set():
            woken = self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                pending = queue.pending_count(self.store)
            except Exception:  # noqa: BLE001 - a locked or busy store: try on the next tick
                continue
            now = time.monotonic()
            # After a failure the next attempt is when the backoff runs out (the status line
            # says "retry in N s"), even with nothing to send: a terminal that started before
            # its server would otherwise wait out the whole interval before its first pull.
            retrying = self._status.state in (OFFLINE, ERROR)
            due = now >= self._next_attempt and not self._halted and (
                woken or pending > 0 or retrying or now - self._last_pass >= self.interval)
            if not due:
                if pending != self._status.queue:
                    self._refresh_counts()
                continue
            self._pass(pending)

    def _pass(self, pending: int) -> None:
        assert self.engine is not None
        self._last_pass = time.monotonic()
        if pending:
            self._refresh_counts(state=SENDING)
        try:
            self.engine.sync_once(self._stop, self._pull_progress)
        except Offline as exc:
            delay = self.backoff.next_delay(exc.retry_after)
            self._next_attempt = time.monotonic() + delay
            self._refresh_counts(state=OFFLINE, last_error=str(exc), retry_in=delay)
        except AuthFailed as exc:
            self._halted = True
            self._refresh_counts(state=AUTH, last_error=str(exc), retry_in=None)
        except TooOld as exc:
            self._halted = True
            self._refresh_counts(state=TOO_OLD, last_error=str(exc), retry_in=None)
        except SyncError as exc:
            delay = self.backoff.next_delay()
            self._next_attempt = time.monotonic() + max(delay, 5.0)
            self._refresh_counts(state=ERROR, last_error=str(exc), retry_in=delay)
        except Exception as exc:  # noqa: BLE001 - e.g. the store busy; keep the thread alive
            self._next_attempt = time.monotonic() + 5.0
            self._refresh_counts(state=ERROR, last_error=f"{type(exc).__name__}: {exc}")
        else:
            self.backoff.reset()
            self._refresh_counts(state=ONLINE, last_error="", retry_in=None, last_ok=time.time())
        finally:
            if self._status.pulling is not None:
                self._publish(pulling=None)

    def _pull_progress(self, done: int, total: int) -> None:
        """A pull with more pages to come (a first sync of many articles) shows how far it is."""
        self._publish(pulling=(done, total) if done < total else None)
