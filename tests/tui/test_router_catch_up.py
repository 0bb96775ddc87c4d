"""The app's router learns what was saved or synced since the last start on a thread of its own
(`SharedRouter.refresh`): a suggestion asked for meanwhile is answered at once, from the
statistics as they were, and the next one after the catch-up reads what it learned."""

from __future__ import annotations

import threading

from agent_tui.services import SharedRouter
from models.importing.importer import import_csv
from models.routing import stats

from ..conftest import history_csv

ROWS = 600
TEXT = "小区门口路灯不亮好几天了"


def _history(tmp_path) -> str:
    return history_csv(tmp_path / "history.csv", ROWS,
                       [("噪音", "环保局", "工地夜间施工噪音"), ("路灯", "路灯管理处", "小区门口路灯不亮")])


def test_a_suggestion_is_answered_while_the_router_catches_up(store, tmp_path):
    import_csv(store, _history(tmp_path))
    shared = SharedRouter(store)
    try:
        # Another learner (`hotline import`'s, say) holds the statistics file's write lock: this
        # app's catch-up waits for it, a real SQLite lock, with nothing mocked.
        other = stats.connect(store.data_dir)
        other.execute("BEGIN IMMEDIATE")
        learning = threading.Thread(target=shared.refresh, daemon=True)
        learning.start()
        learning.join(timeout=0.5)
        assert learning.is_alive()  # the catch-up is under way, waiting on that lock

        answered: list = []
        asking = threading.Thread(target=lambda: answered.append(shared.suggest(TEXT, lang="zh")),
                                  daemon=True)
        asking.start()
        asking.join(timeout=5)
        assert answered, "the suggestion waited for the router's catch-up"
        assert learning.is_alive()  # answered before the catch-up ended
        # Nothing learned yet: no category is suggested from history.
        assert not any(r.key == "route.why.category_history"
                       for c in answered[0].categories for r in c.reasons)

        other.execute("ROLLBACK")
        other.close()
        learning.join(timeout=60)
        assert not learning.is_alive()
        top = shared.suggest(TEXT, lang="zh").categories[0]
        # The catch-up's statistics are read: the history of street lights leads, and says so.
        assert any(r.key == "route.why.category_history" for r in top.reasons)
        assert "路灯" in top.name or top.category == "路灯"
    finally:
        shared.close()


def test_the_app_can_close_its_router_while_it_catches_up(store, tmp_path):
    """Quitting during a start's catch-up: the catch-up finishes without touching the closed
    router (no error on the worker), and what it learned is there for the next start."""
    import_csv(store, _history(tmp_path))
    shared = SharedRouter(store)
    shared.suggest(TEXT, lang="zh")  # the router made, as after the first frame
    other = stats.connect(store.data_dir)
    other.execute("BEGIN IMMEDIATE")
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            shared.refresh()
        except BaseException as exc:  # noqa: BLE001 (recorded for the assertion below)
            errors.append(exc)

    learning = threading.Thread(target=refresh, daemon=True)
    learning.start()
    learning.join(timeout=0.5)
    assert learning.is_alive()
    shared.close()  # the app quits
    other.execute("ROLLBACK")
    other.close()
    learning.join(timeout=60)
    assert not learning.is_alive()
    assert errors == []
    again = SharedRouter(store)
    try:
        top = again.suggest(TEXT, lang="zh").categories[0]
        assert any(r.key == "route.why.category_history" for r in top.reasons)
    finally:
        again.close()
