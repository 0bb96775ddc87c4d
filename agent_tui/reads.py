"""Reads from the store on a worker thread that outlive the store failing.

A lookup or a list that reads while the store's disk has gone read-only or full, or its file
is damaged, ends its worker cleanly and tells the app once (`StoreTrouble`): the agent reads a
sentence saying what to do and goes on typing. Any other error still fails the worker, so a bug
is seen rather than hidden.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from textual.message import Message

from .writes import store_trouble

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreTrouble(Message):
    """A read found the store failing: `code` (full | read_only | damaged | locked), `sentence`
    in the agent's language."""

    def __init__(self, code: str, sentence: str) -> None:
        super().__init__()
        self.code = code
        self.sentence = sentence


def guarded(app: Any, read: Callable[..., T], *args: Any) -> T | None:
    """`read(*args)`, or None after telling `app` when the store failed under it."""
    try:
        return read(*args)
    except Exception as exc:
        code, sentence = store_trouble(exc, app)
        if not code:
            raise
        log.warning("read %s failed: %s", getattr(read, "__name__", read), exc)
        app.post_message(StoreTrouble(code, sentence))
        return None


def store_read(method: Callable[..., T]) -> Callable[..., T | None]:
    """For a worker body that is a method of a widget, screen or app (one with `.app`)."""

    @functools.wraps(method)
    def run(node: Any, *args: Any) -> T | None:
        return guarded(node.app, method, node, *args)

    return run
