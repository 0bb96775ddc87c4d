"""Pickled objects between the import's processes, one length-prefixed frame each, and an inbox
that drains a pipe in a thread so that the process writing to it never waits for the reader to
be free (only for the inbox's few frames of room).

Why frames rather than `pickle.dump` on the pipe: the draining thread then only moves bytes
(its reads release the GIL), and the owner unpickles a whole frame at once, faster than
`pickle.load` pulling from a stream.
"""

from __future__ import annotations

import os
import pickle
import queue
import threading
from typing import BinaryIO

_LENGTH = 8  # bytes of a frame's length, little-endian
_END = None  # what the inbox holds once its pipe is closed


def send(out: BinaryIO, item: object) -> None:
    """One object as a frame, written whole.

    Written with `os.write` until every byte is out, not through the file object: a process
    stopped and continued in the middle of a big write to a pipe (Ctrl+Z then `fg`, a
    profiler's pauses) gets a partial write back from the kernel, and `io.BufferedWriter` was
    seen to lose part of a frame then (`tests/models/test_import_processes.py` stops the
    writer every few milliseconds)."""
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()  # (anything written to it before, in order)
    fd = out.fileno()
    for part in (len(data).to_bytes(_LENGTH, "little"), data):
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view):]


def _read_frame(source: BinaryIO) -> bytes | None:
    """A frame's bytes, or `_END` when the pipe closes (also in the middle of a frame: the
    sender died)."""
    head = source.read(_LENGTH)
    if len(head) < _LENGTH:
        return _END
    size = int.from_bytes(head, "little")
    data = source.read(size)
    return data if len(data) == size else _END


class Inbox:
    """The frames arriving on `source`, read ahead by a daemon thread (at most `room` held).
    `close` once the sender is gone (its end of the pipe closed), before closing `source`."""

    def __init__(self, source: BinaryIO, room: int = 2) -> None:
        self._frames: queue.Queue[bytes | None] = queue.Queue(maxsize=room)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._drain, args=(source,), daemon=True)
        self._thread.start()

    def _drain(self, source: BinaryIO) -> None:
        try:
            frame = _read_frame(source)
            while self._put(frame) and frame is not _END:
                frame = _read_frame(source)
        except Exception:  # the pipe broke under us (the import stopped), or a frame's
            self._put(_END)  # length was garbage (MemoryError): the owner must not wait forever

    def _put(self, frame: bytes | None) -> bool:
        """Wait for room, unless the owner has stopped listening."""
        while not self._closed.is_set():
            try:
                self._frames.put(frame, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> None:
        """Stop reading ahead (what is held is dropped) and let the thread end."""
        self._closed.set()
        self._thread.join(timeout=5)

    def get(self) -> object:
        """The next object; EOFError once the sender has closed its end."""
        frame = self._frames.get()
        if frame is _END:
            self._frames.put(_END)  # and for any later call
            raise EOFError
        return pickle.loads(frame)
