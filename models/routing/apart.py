"""The routing model learning a big import's history in a process of its own, started once the
import's rows are committed, so that it runs beside the import's closing steps (the search
index's merge and the case table's index builds: SQLite work that keeps one core busy and
leaves the other idle) instead of after them.

    python -m models.routing.apart DATA_DIR STORE_PATH

prints `done total` lines as it learns, then `report {json}`. `Learning` starts it and follows
it; when it was not started (too little to learn to pay for a process) or did not finish, the
learning is done (or finished: it is incremental) in the calling process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from . import stats
from .learn import LearnReport, learn, pending

APART_MIN_CASES = 50_000  # fewer cases to learn: a second interpreter's start costs more


class Learning:
    """The routing model's catch-up with a store, apart (`start`) or here (`finish` alone)."""

    def __init__(self, store: Any) -> None:
        self.data_dir, self.store_path = Path(store.data_dir), Path(store.path)
        self._child: subprocess.Popen | None = None

    def start(self) -> None:
        """Start learning in a process of its own, if there is enough to learn."""
        if self._child is not None or self._pending() < APART_MIN_CASES:
            return
        from models.processes import module_command

        command, env = module_command("models.routing.apart", str(self.data_dir),
                                      str(self.store_path))
        try:
            self._child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        except OSError:  # no process to be had: `finish` learns here (the import goes on)
            self._child = None

    @property
    def started(self) -> bool:
        return self._child is not None

    def finish(self, progress: stats.Progress | None = None) -> LearnReport:
        """Follow the process to its end (`progress` gets its counts), or learn here."""
        report = self._follow(progress) if self._child is not None else None
        if report is None:  # not started, or stopped short: what is left is learned here
            from .engine import Router

            router = Router(self.data_dir, self.store_path)
            try:
                report = router.refresh(progress)
            finally:
                router.close()
        return report

    def stop(self) -> None:
        """End a started learning process (the import it ran beside has failed): what it had
        committed stays, and the rest is learned by the next `refresh`."""
        child, self._child = self._child, None
        if child is None:
            return
        if child.poll() is None:
            child.terminate()
        if child.stdout is not None:
            child.stdout.close()
        child.wait()

    def _follow(self, progress: stats.Progress | None) -> LearnReport | None:
        child, report = self._child, None
        assert child is not None and child.stdout is not None
        try:
            for line in child.stdout:
                word, _, rest = line.partition(" ")
                if word == "report":
                    report = LearnReport(**json.loads(rest))
                elif progress and word.isdigit():
                    progress(int(word), int(rest))
        finally:
            child.stdout.close()
            code = child.wait()
        return report if code == 0 else None

    def _pending(self) -> int:
        from models.store import sqlite

        conn, store_conn = stats.connect(self.data_dir), sqlite.connect(self.store_path)
        try:
            return pending(conn, store_conn)
        finally:
            store_conn.close()
            conn.close()


def main(argv: list[str]) -> None:
    data_dir, store_path = (Path(a) for a in argv)

    def progress(done: int, total: int) -> None:
        print(done, total, flush=True)

    report = learn(data_dir, store_path, progress)
    print("report", json.dumps(asdict(report)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
