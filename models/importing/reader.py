"""The second process of a big import: reads and checks the CSV, sends batches back.

Run by `importer._parsed` as `python -m models.importing.reader`: a pickled `parse._Plan` on
stdin, pickled `parse._Batch`es (the mapping's name first, None last, or the exception that stopped it) on
stdout.
"""

from __future__ import annotations

import gc
import pickle
import sys


def quiet_gc() -> None:
    """The cyclic garbage collector off for this process: what it makes is batches, each freed
    (by reference counting) once sent, and the parse keeps no cycles; the collector would only
    go over each batch's objects again (`parse.gc_paused`)."""
    gc.disable()


def main() -> None:
    from .parse import _parse

    quiet_gc()
    out = sys.stdout.buffer
    plan = pickle.load(sys.stdin.buffer)
    try:
        for item in _parse(plan):
            pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        pickle.dump(None, out)
    except BaseException as exc:  # noqa: BLE001 - handed to the importing process
        pickle.dump(exc, out)
    out.flush()


if __name__ == "__main__":
    main()
