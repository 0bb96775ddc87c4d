"""Two learners on one statistics file at once (a terminal's worker and `hotline import`'s
learning process): every case is counted once, whichever commits first."""

from __future__ import annotations

import pytest

from models.importing.importer import import_csv
from models.routing import learn, stats

from ..conftest import history_csv

ROWS = 3_000


def _history(tmp_path) -> str:
    return history_csv(tmp_path / "history.csv", ROWS,
                       [("噪音", "环保局", "工地夜间施工噪音"), ("路灯", "路灯管理处", "小区门口路灯不亮"),
                        ("马蜂窝", "街道办事处", "树上有马蜂窝")])


def _tables(data_dir) -> dict[str, list[tuple]]:
    conn = stats.connect(data_dir)
    try:
        return {table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in stats.TABLES}
    finally:
        conn.close()


@pytest.mark.parametrize("flush_entries", [10**9, 1], ids=["counts-held", "counts-written"])
def test_a_learner_overtaken_by_another_counts_nothing_twice(store, tmp_path, monkeypatch,
                                                             flush_entries):
    """Learner A reads some chunks (holding their counts, or having written them), then learner
    B learns the whole store; A then goes on. The statistics are those of one learning."""
    import_csv(store, _history(tmp_path))
    monkeypatch.setattr(learn, "CHUNK", 500)
    monkeypatch.setattr(learn, "FLUSH_ENTRIES", flush_entries)
    alone = tmp_path / "alone"
    alone.mkdir()
    learn.learn(alone, store.path)  # the reference: one learner

    overtaken = []

    def b_runs_meanwhile(done: int, total: int) -> None:
        if done == 1_000 and not overtaken:
            overtaken.append(learn.learn(store.data_dir, store.path).cases)

    a = learn.learn(store.data_dir, store.path, progress=b_runs_meanwhile)
    assert overtaken  # B ran in the middle of A
    assert a.cases + overtaken[0] == ROWS  # between them, each case once
    assert _tables(store.data_dir) == _tables(alone)
    assert learn.learn(store.data_dir, store.path).cases == 0  # nothing left
