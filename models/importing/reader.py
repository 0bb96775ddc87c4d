"""The second process of a big import: reads and checks the CSV, sends batches back.

Run by `importer._parsed` as `python -m models.importing.reader`: a pickled `parse._Plan` on
stdin, pickled `parse._Batch`es (the mapping's name first, None last, or the exception that stopped it) on
stdout.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from .parse import _parse

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
