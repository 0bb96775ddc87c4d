"""Ids made where a record is first saved (terminal or server): UUIDv7, time-ordered."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())


def new_ids(n: int) -> list[str]:
    """n UUIDv7 strings at once, time-ordered (a 12-bit counter within the millisecond, as
    uuid6 counts), for a bulk import: one read of the OS's random bits and one numpy pass
    (uuid6.uuid7() costs a few microseconds each, a million rows call it a million times)."""
    import os
    import time

    import numpy as np

    if n <= 0:
        return []
    raw = os.urandom(2 + 8 * n)
    start = int.from_bytes(raw[:2], "big") & 0x3FF  # room for 3,000 ids in the ms
    rand = np.frombuffer(raw, dtype=">u8", count=n, offset=2)
    steps = start + 1 + np.arange(n, dtype=np.uint64)
    ms = np.uint64(time.time_ns() // 1_000_000) + steps // np.uint64(0x1000)
    words = np.empty((n, 2), dtype=">u8")
    words[:, 0] = (ms << np.uint64(16)) | np.uint64(0x7000) | (steps & np.uint64(0xFFF))
    words[:, 1] = (rand & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(2 << 62)
    hexes = np.frombuffer(words.tobytes().hex().encode(), dtype=np.uint8).reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for a, b, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        out[:, at:at + b - a] = hexes[:, a:b]
    text = out.tobytes().decode("ascii")
    return [text[i:i + 36] for i in range(0, 36 * n, 36)]
