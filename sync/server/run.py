"""Running the server: `serve` (foreground, what `hotline server` and `python -m sync.server`
do), `ThreadedServer` (in this process, for tests and benchmarks) and `free_port`."""

from __future__ import annotations

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
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                access_log=settings.access_log, timeout_graceful_shutdown=5)


class ThreadedServer:
    """A real uvicorn server on localhost in a daemon thread."""

    def __init__(self, db_url: str, port: int | None = None, **app_options) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(Database(db_url), **app_options)
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
