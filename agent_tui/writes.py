"""Writes to the store, off the UI thread.

A write waits for SQLite's write lock (up to the busy timeout while `hotline import` or a pull
holds it): on the UI thread that would freeze typing. `write_off_thread` runs the write in a
thread worker and posts the typed message the write returns (`CaseFiled`, `NoteAdded` ...) to
the screen that asked, or `WriteFailed` with the refusal or the error; the screen shows
progress meanwhile and changes itself only in the handlers (the worker touches no widget).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.message import Message

log = logging.getLogger(__name__)


class WriteFailed(Message):
    """A write did not happen: refused by the rules (`problems`, a ValidationFailed) or failed
    (`error`: the store locked past its busy timeout, a full disk ...)."""

    def __init__(self, what: str, *, problems: Any = None, error: str = "",
                 context: Any = None, store_problem: str = "") -> None:
        super().__init__()
        self.what = what
        self.problems = problems
        self.error = error
        self.context = context  # what the asking screen needs to put things back
        self.store_problem = store_problem  # full | read_only | damaged | locked, when the store failed

    def sentence(self, app: Any, failed_key: str = "step.failed") -> str:
        """What to tell the agent: the rules' reasons, or `failed_key` naming the error."""
        if self.problems is not None:
            return " ".join(self.problems.messages(app.lang))
        return app.t(failed_key, error=self.error)


def store_trouble(exc: BaseException, app: Any) -> tuple[str, str]:
    """(code, the sentence in the agent's language) when `exc` is the store's disk or file
    failing (models.store.errors), else ("", "")."""
    from models.store.errors import explain

    from .display import plain
    from .i18n import STRINGS, t

    store = getattr(app, "store", None)
    path = getattr(store, "path", None)
    problem = explain(exc, path) if path is not None else None
    if problem is None:
        return "", ""
    key = f"store.{problem.code}"
    return problem.code, (t(key, app.lang, path=plain(str(path))) if key in STRINGS
                          else plain(str(problem)))


def write_off_thread(node: DOMNode, what: str, write: Callable[[], Message], *,
                     context: Any = None) -> None:
    """Run `write` on a thread; post its message to `node`, or WriteFailed(what, ...)."""
    from models.domain.messages import ValidationFailed

    def run() -> None:
        try:
            message = write()
        except ValidationFailed as exc:
            message = WriteFailed(what, problems=exc, context=context)
        except Exception as exc:  # noqa: BLE001 - said on screen; the call is kept as a draft
            log.warning("%s failed: %s", what, exc)
            code, sentence = store_trouble(exc, node.app)
            message = WriteFailed(what, error=sentence or f"{type(exc).__name__}: {exc}",
                                  context=context, store_problem=code)
        node.post_message(message)

    node.run_worker(run, thread=True, group=f"write-{what}", name=what, exit_on_error=False)
