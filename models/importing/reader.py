"""The helper processes of a big import, run by `importer._parsed`: the work before the store,
cut in two stages that run beside the importing process's writes (two cores kept busy where a
single reading process set the pace: see the README's import figures).

- `python -m models.importing.reader --texts-fd N`, the reading process: a pickled
  `parse._Plan` on stdin; reads and checks the CSV and sends, as frames (`frames.send`):
  to the importing process on stdout, the mapping's name, then each `parse._Batch` (without
  postings; its rows as a database image, `staged.StagedRows`), then None (or the exception
  that stopped it); to the tokenising process on fd N,
  the plan's running index lengths, then each non-empty batch's texts (`parse.batch_texts`).
- `python -m models.importing.reader --tokenise`, the tokenising process: that state and those
  texts on stdin; each batch's `search_index.Postings` on stdout, in order (the running BM25F
  lengths need the batches in order: one process makes them all, as a rebuild would).
"""

from __future__ import annotations

import gc
import os
import sys


def quiet_gc() -> None:
    """The cyclic garbage collector off for this process: what it makes is batches, each freed
    (by reference counting) once sent, and the parse keeps no cycles; the collector would only
    go over each batch's objects again (`parse.gc_paused`)."""
    gc.disable()


def read(texts_fd: int) -> None:
    import pickle

    from . import frames
    from .parse import _Batch, _parse, batch_texts
    from .staged import stage

    out = sys.stdout.buffer
    plan = pickle.load(sys.stdin.buffer)
    if plan.phone_region:  # the importing process's, read from its settings
        from models.domain.region import set_region

        set_region(plan.phone_region)
    with os.fdopen(texts_fd, "wb") as texts:
        try:
            frames.send(texts, plan.index_state)
            for item in _parse(plan, tokenise=False):
                if isinstance(item, _Batch) and item.rows:
                    frames.send(texts, batch_texts(item.rows))  # first: the tokeniser starts
                    item.rows = stage(item.rows)  # (`staged.py`: bound here, copied in SQLite)
                frames.send(out, item)
            frames.send(out, None)
        except BaseException as exc:  # noqa: BLE001 - handed to the importing process
            frames.send(out, exc)


def tokenise() -> None:
    from models.search import index as search_index

    from . import frames

    out = sys.stdout.buffer
    inbox = frames.Inbox(sys.stdin.buffer)  # the reading process goes on meanwhile
    try:
        tokenizer = search_index.Tokenizer.from_state(inbox.get())
        while True:
            frames.send(out, tokenizer.columns(*inbox.get()))
    except EOFError:  # the reading process is done (or gone)
        return
    except BaseException as exc:  # noqa: BLE001 - handed to the importing process
        frames.send(out, exc)


def main(argv: list[str]) -> None:
    quiet_gc()
    if argv[:1] == ["--tokenise"]:
        tokenise()
    elif argv[:1] == ["--texts-fd"] and len(argv) == 2:
        read(int(argv[1]))
    else:
        raise SystemExit("usage: python -m models.importing.reader --texts-fd N | --tokenise")


if __name__ == "__main__":
    main(sys.argv[1:])
