"""Running the server: `serve` (foreground, what `hotline server` and `python -m sync.server`
do), `ThreadedServer` (in this process, for tests and benchmarks) and `free_port`."""

from __future__ import annotations

import gc
import logging
import socket
import threading
import time

import uvicorn

from .app import create_app
from .db import Database
from .settings import ServerSettings


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def serve(settings: ServerSettings) -> None:
    app = create_app(settings)
    _log_to_stderr(settings.log_level)
    # What the imports and the app's construction left (some 150,000 objects) is kept for the
    # process's life: moved out of the collector's sight, so that its occasional full pass scans
    # only what requests made. Without this, a full pass during the first seconds of load stopped
    # every request in the process for 85-110 ms (`benchmarks/bench_sync_load.py`).
    gc.freeze()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                access_log=settings.access_log, timeout_graceful_shutdown=5,
                proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)


def _log_to_stderr(level: str) -> None:
    """The server's own log lines (`hotline.server`: failed sign-ins, database outages, bugs)
    on stderr beside uvicorn's."""
    logger = logging.getLogger("hotline.server")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False


class ThreadedServer:
    """A real uvicorn server on localhost in a daemon thread. `settings` (without `db`) sets
    anything else; `app_options` are `create_app`'s overrides."""

    def __init__(self, db_url: str, port: int | None = None, *,
                 settings: ServerSettings | None = None, **app_options) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        given = settings.model_copy(update={"db": db_url}) if settings else Database(db_url)
        self.app = create_app(given, **app_options)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="hotline-server")

    def start(self, timeout: float = 15.0) -> ThreadedServer:
        self.thread.start()
        end = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > end or not self.thread.is_alive():
                raise RuntimeError("the embedded server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.app.state.db.dispose()
