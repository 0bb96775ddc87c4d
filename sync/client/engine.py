"""One sync pass (push the outbox in ordered batches, then pull until caught up), and `run`,
which retries passes with backoff: what `hotline sync` and the background worker use."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from models.store import Store
from sync.protocol import MAX_BATCH, Mutation, PullRequest, PushRequest, PushResponse

from . import queue
from .apply import apply_pull
from .backoff import Backoff
from .credentials import stored_token
from .http import AuthFailed, Offline, SequenceGap, ServerApi, SyncError, TooOld


@dataclass
class SyncReport:
    sent: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    conflicts: int = 0
    pulled_cases: int = 0
    pulled_events: int = 0
    pulled_articles: int = 0
    pulled_phrases: int = 0
    requests: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def resolve_settings(store: Store, server: str = "", token: str = "") -> tuple[str, str]:
    """The server URL and token: given ones first, else the server remembered in the store's
    meta and the token remembered in the data dir's token file (`credentials`)."""
    return (server or store.get_meta(queue.SERVER), token or stored_token(store))


class SyncEngine:
    def __init__(self, store: Store, server: str, token: str | Callable[[], str] = "", *,
                 transport: httpx.BaseTransport | None = None, batch_size: int = MAX_BATCH,
                 horizon_days: int | None = None, timeout: float = 15.0,
                 pull_limit: int | None = None) -> None:
        self.store = store
        if callable(token):
            self._token_source = token
        else:
            fixed = token
            self._token_source = lambda: fixed or stored_token(store)
        self._token = self._token_source()
        self.api = ServerApi(server, lambda: self._token, transport=transport, timeout=timeout)
        self.batch_size = min(batch_size, MAX_BATCH)
        self.horizon_days = horizon_days if horizon_days is not None else int(
            store.get_meta(queue.HORIZON, "30") or 30)
        self.client_id = store.client_id
        self.pull_limit = pull_limit  # change-log rows per pull page (None: the server's default)
        self.report = SyncReport()

    def close(self) -> None:
        self.api.close()

    def _call(self, fn, request):
        self.report.requests += 1
        try:
            return fn(request)
        except AuthFailed:
            fresh = self._token_source()  # the token may have been rotated meanwhile
            if fresh and fresh != self._token:
                self._token = fresh
                return fn(request)
            raise

    def push_batch(self) -> int:
        """Send the oldest pending rows once; returns how many were sent (0: queue empty)."""
        batch = queue.next_batch(self.store, self.batch_size)
        if not batch:
            return 0
        resp = self._send(self._request(batch, 0))
        self._settle(batch, resp)
        return len(batch)

    def push_all(self, stop: threading.Event | None = None) -> None:
        """Send every pending row, batch after batch. While the server applies one batch, this
        terminal settles the batch before it and reads the next (its own store, in this
        thread): the two sides work at once instead of in turn. A batch is sent only after the
        server answered the one before, so the server still sees them in order; a batch the
        server applied but this terminal had not settled yet is sent again next time and
        answered as duplicates."""
        batch = queue.next_batch(self.store, self.batch_size)
        if not batch:
            return
        with ThreadPoolExecutor(1, thread_name_prefix="hotline-push") as sender:
            request, done = self._request(batch, 0), None
            while True:
                answer = sender.submit(self._send, request)
                if done is not None:
                    self._settle(*done)
                nxt = queue.next_batch(self.store, self.batch_size, after=batch[-1].seq)
                request = self._request(nxt, batch[-1].seq) if nxt else None
                done = (batch, answer.result())
                if not nxt or (stop is not None and stop.is_set()):
                    break
                batch = nxt
            self._settle(*done)

    def _request(self, batch: list[Mutation], after: int) -> PushRequest:
        """The request for `batch`, with what the terminal holds from it on (rows up to `after`
        are being settled: they are no longer waiting)."""
        depth, oldest = queue.waiting_after(self.store, after)
        return PushRequest(client_id=self.client_id, mutations=batch, queue_depth=depth,
                           oldest_at=oldest)

    def _send(self, request: PushRequest) -> PushResponse:
        try:
            return self._call(self.api.push, request)
        except SequenceGap as gap:
            # The server expects a seq this terminal no longer holds: its database was restored
            # from an older backup (docs/sync-protocol.md). Everything below the oldest pending
            # row was settled on the server's word, so say so (`resume_from`) and send them.
            first = request.mutations[0].seq
            if not 0 < gap.expected < first:
                raise
            return self._call(self.api.push, request.model_copy(update={"resume_from": first}))

    def _settle(self, batch: list[Mutation], resp: PushResponse) -> None:
        queue.apply_results(self.store, resp.results)
        r = self.report
        r.sent += len(batch)
        for res in resp.results:
            outcome = res.outcome
            if outcome == "duplicate":
                r.duplicates += 1
                outcome = res.original or "applied"
            if outcome == "applied":
                r.applied += 1
            elif outcome == "rejected":
                r.rejected += 1
            elif outcome == "conflict":
                r.conflicts += 1

    def pull_all(self, stop: threading.Event | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        """Pull pages until caught up; `progress(done, total)` after each page, in change-log
        versions from where this pull started to the server's head (a first sync of many
        articles takes many pages)."""
        start = None
        while True:
            cursor = int(self.store.get_meta(queue.CURSOR, "0") or 0)
            ack_from = self._first_pending()
            resp = self._call(self.api.pull, PullRequest(
                client_id=self.client_id, cursor=cursor, horizon_days=self.horizon_days,
                ack_from=ack_from, **({"limit": self.pull_limit} if self.pull_limit else {})))
            cases, events = apply_pull(self.store, resp)
            self._remember_identity(resp)
            self.report.pulled_cases += cases
            self.report.pulled_events += events
            self.report.pulled_articles += len(resp.kb_articles)
            self.report.pulled_phrases += len(resp.kb_phrases)
            if progress is not None:
                start = cursor if start is None or resp.reset else start
                head = max(resp.head, resp.cursor)
                progress(resp.cursor - start, max(head - start, resp.cursor - start))
            if not resp.more or (stop is not None and stop.is_set()):
                return

    def _remember_identity(self, resp) -> None:
        """The role (and department) the server gives this token: the terminal's own check of
        a lifecycle step uses it before queueing (the server checks again)."""
        if resp.role and self.store.get_meta(queue.ROLE) != resp.role:
            self.store.set_meta(queue.ROLE, resp.role)
        if resp.role and self.store.get_meta(queue.DEPARTMENT) != resp.department:
            self.store.set_meta(queue.DEPARTMENT, resp.department)

    def _first_pending(self) -> int:
        batch = queue.next_batch(self.store, 1)
        return batch[0].seq if batch else 0

    def sync_once(self, stop: threading.Event | None = None,
                  progress: Callable[[int, int], None] | None = None) -> SyncReport:
        """Push everything, then pull until caught up. Raises SyncError on a failed request."""
        try:
            self.push_all(stop)
            self.pull_all(stop, progress)
        except SyncError as exc:
            queue.set_error(self.store, f"{exc.status}: {exc}")
            self.report.errors.append(str(exc))
            raise
        queue.set_ok(self.store)
        return self.report

    def run(self, *, attempts: int = 5, deadline: float | None = None,
            backoff: Backoff | None = None, sleep: Callable[[float], None] = time.sleep,
            stop: threading.Event | None = None,
            progress: Callable[[int, int], None] | None = None) -> SyncReport:
        """sync_once, retried on Offline (network, timeouts, 5xx, 429) with full-jitter backoff
        and Retry-After, up to `attempts` passes or `deadline` (monotonic seconds)."""
        backoff = backoff or Backoff()
        while True:
            try:
                return self.sync_once(stop, progress)
            except Offline as exc:
                self.report.retries += 1
                if self.report.retries >= attempts:
                    raise
                delay = backoff.next_delay(exc.retry_after)
                if deadline is not None and time.monotonic() + delay > deadline:
                    raise
                if stop is not None:
                    if stop.wait(delay):
                        raise
                else:
                    sleep(delay)
            except (AuthFailed, TooOld):
                raise
