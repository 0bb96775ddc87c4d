"""The routing model learning a big import's history in a process of its own, beside the
import's last steps (`models.routing.apart`): it learns every imported case once, and a learning
process that stops short is finished in the calling process."""

from __future__ import annotations

import pytest

from models.importing.importer import import_csv
from models.reference.pending import accept_all
from models.routing import Router, apart

from ..conftest import history_csv

ROWS = 3_000


@pytest.fixture
def few_make_a_process(monkeypatch):
    monkeypatch.setattr(apart, "APART_MIN_CASES", 1_000)


def _file(tmp_path) -> str:
    return history_csv(tmp_path / "history.csv", ROWS,
                       [("路灯", "路灯管理处", "小区门口路灯不亮"), ("噪音", "环保局", "楼下工地夜间施工噪音扰民")],
                       text="{text} {i}")


def _learned_to(store) -> int:
    router = Router.for_store(store)
    try:
        return router._store.execute('SELECT max(rowid) FROM "case"').fetchone()[0] - \
            router.pending()
    finally:
        router.close()


def _suggests_what_was_learned(store) -> bool:
    """The lead suggested for each kind of imported case is the department that handled it."""
    accept_all(store)
    router = Router.for_store(store)
    try:
        handled = dict(router._store.execute(
            'SELECT category, lead_department FROM "case" GROUP BY category'))
        assert len(set(handled.values())) == 2
        return all(router.suggest(text, lang="zh").lead.code == handled[category]
                   for category, text in [(_category(router, "H1"), "晚上工地施工噪音太大"),
                                          (_category(router, "H0"), "小区路灯坏了不亮")])
    finally:
        router.close()


def _category(router, external_id: str) -> str:
    return router._store.execute('SELECT category FROM "case" WHERE external_id = ?',
                                 (external_id,)).fetchone()[0]


def test_an_import_learns_its_history_in_a_process_of_its_own(store, tmp_path,
                                                               few_make_a_process):
    learning = apart.Learning(store)
    seen = []
    assert import_csv(store, _file(tmp_path), rows_written=learning.start).imported == ROWS
    assert learning.started
    report = learning.finish(lambda done, total: seen.append((done, total)))
    assert report.cases == ROWS and seen[-1] == (ROWS, ROWS)
    assert _learned_to(store) == ROWS  # every case, once
    assert _suggests_what_was_learned(store)


def test_a_learning_process_that_stops_short_is_finished_here(store, tmp_path,
                                                              few_make_a_process):
    import_csv(store, _file(tmp_path))
    learning = apart.Learning(store)
    learning.start()
    learning._child.kill()  # before it learned anything
    assert learning.finish().cases == ROWS  # all learned here
    assert _learned_to(store) == ROWS
    assert _suggests_what_was_learned(store)


def test_a_small_import_learns_in_the_calling_process(store, tmp_path):
    learning = apart.Learning(store)
    import_csv(store, _file(tmp_path), rows_written=learning.start)
    assert not learning.started  # 3,000 cases: below APART_MIN_CASES
    assert learning.finish().cases == ROWS and _learned_to(store) == ROWS


def test_a_learning_process_stopped_by_a_failed_import_leaves_nothing_running(
        store, tmp_path, few_make_a_process):
    """`hotline import` stops the learning when the import fails after its rows were in: the
    process is gone, and the next learning finishes what it had not committed, each case once."""
    import os

    import_csv(store, _file(tmp_path))
    learning = apart.Learning(store)
    learning.start()
    child = learning._child
    assert child is not None and child.poll() is None
    learning.stop()
    assert child.poll() is not None and not learning.started
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)  # reaped: not even a zombie left
    learning.stop()  # twice is harmless
    learning.finish()  # learned here, from wherever the process stopped
    assert _learned_to(store) == ROWS
    assert _suggests_what_was_learned(store)
