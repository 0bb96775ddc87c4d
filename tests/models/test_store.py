"""The local store: durability settings, migrations from the first shipped version, numbering."""

from __future__ import annotations

import shutil
import sqlite3
import threading

from sqlmodel import SQLModel, select

import models.store.drafts  # noqa: F401  (registers the draft tables)
import models.store.tables  # noqa: F401  (registers the tables)
from models.cases import add_note, file_case, timeline
from models.domain.case_shape import CaseDraft
from models.store import migrations, open_store
from models.store.tables import Case

from ..conftest import FIXTURES


def test_store_is_wal_with_full_sync(store):
    with store.raw() as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.LATEST


def test_migrated_schema_matches_the_tables(tmp_path):
    """A fresh store built by the migrations has every column the SQLModel tables declare."""
    s = open_store(tmp_path)
    with s.raw() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in {t.name for t in _local_tables()}:
                continue
            cols = {row[1] for row in conn.execute(f'PRAGMA table_info("{table.name}")')}
            assert cols == {c.name for c in table.columns}, table.name


def _local_tables():
    return [t for t in SQLModel.metadata.sorted_tables if t.name in
            {"meta", "counter", "department", "category", "caller", "case", "caseevent", "draft", "ring"}]


def test_store_from_version_1_upgrades_with_data_intact(tmp_path):
    shutil.copy(FIXTURES / "store_v1.db", tmp_path / "hotline.db")
    before = sqlite3.connect(tmp_path / "hotline.db")
    assert before.execute("PRAGMA user_version").fetchone()[0] == 1
    cases_before = before.execute('SELECT id, case_no, description FROM "case" ORDER BY id').fetchall()
    before.close()

    s = open_store(tmp_path)
    assert s.migrated_from == 1 and s.version == migrations.LATEST
    with s.session() as session:
        rows = session.exec(select(Case).order_by(Case.id)).all()
        assert [(c.id, c.case_no, c.description) for c in rows] == cases_before
        noted = [c for c in rows if any(e.note.startswith("版本一") for e in timeline(s, c.id))]
    assert len(noted) == 1
    # The upgraded store keeps working: same prefix, numbering goes on.
    case = file_case(s, CaseDraft(description="升级后新建", disposition="answered"), "a01")
    assert case.case_no.startswith("V1-")
    add_note(s, noted[0].id, "升级后的备注", "a01")


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "hotline.db")
    conn.execute(f"PRAGMA user_version = {migrations.LATEST + 1}")
    conn.close()
    try:
        open_store(tmp_path)
    except migrations.StoreTooNew as exc:
        assert "upgrade hotline" in str(exc)
    else:
        raise AssertionError("a newer store must not be opened")


def test_case_numbers_are_unique_under_concurrent_saves(store):
    """The TUI and `hotline new` may save at once: numbers never repeat."""
    numbers: list[str] = []
    lock = threading.Lock()

    def worker():
        for _ in range(15):
            case = file_case(store, CaseDraft(description="并发保存", disposition="answered"), "a01")
            with lock:
                numbers.append(case.case_no)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == 60 and len(set(numbers)) == 60


def test_a_second_store_gets_its_own_client_id_and_prefix(tmp_path):
    a, b = open_store(tmp_path / "a"), open_store(tmp_path / "b")
    assert a.client_id != b.client_id
    assert a.terminal_prefix and a.terminal_prefix == a.client_id[:4].upper()
    # Re-opening keeps the identity.
    assert open_store(tmp_path / "a").client_id == a.client_id


def test_catalogue_reload_keeps_imported_departments(store, tmp_path):
    from models.reference.catalogue import load_catalogue
    from models.store.tables import Department

    with store.writer() as s:
        s.add(Department(code="imp:dsny", name_en="DSNY", source="import"))
        s.commit()
        edited = tmp_path / "city.toml"
        edited.write_text('[[category]]\ncode = "other"\nname_zh = "其他"\nname_en = "Other"\n'
                          '[[department]]\ncode = "chengguan"\nname_zh = "城管执法局"\n'
                          'name_en = "City Enforcement"\n', encoding="utf-8")
        load_catalogue(s, edited)
        assert s.get(Department, "chengguan").name_zh == "城管执法局"
        assert s.get(Department, "imp:dsny") is not None


def _aliases(store, table, code: str) -> list[str]:
    with store.writer() as s:
        return list(s.get(table, code).aliases)


def _as_an_older_release_left_it(store, mark: str | None) -> None:
    """The store as a release before the callers' words left it: heating_water without 自来水
    and "no heat"; a lead's own alias on a department and a city's own name for it."""
    from models.reference.catalogue import BUILTIN_MARK
    from models.store.tables import Category, Department, Meta

    with store.writer() as s:
        cat = s.get(Category, "heating_water")
        cat.aliases = [a for a in cat.aliases if a not in ("自来水", "no heat")]
        dept = s.get(Department, "street_light_office")
        dept.aliases = [*dept.aliases, "灯管所"]
        dept.name_zh = "城区路灯所"
        s.add_all([cat, dept])
        row = s.get(Meta, BUILTIN_MARK)
        if mark is None and row is not None:
            s.delete(row)
        elif mark is not None:
            s.merge(Meta(key=BUILTIN_MARK, value=mark))
        s.commit()


def test_a_store_on_the_built_in_catalogue_gains_a_newer_releases_aliases(store):
    """A terminal made by an older release (no mark, or another file's digest) gets the aliases
    the built-in file added at its next start; what a lead or a city changed stays."""
    from models.reference.catalogue import BUILTIN_MARK, ensure_catalogue
    from models.store.tables import Category, Department

    for mark in (None, "0123456789abcdef"):
        _as_an_older_release_left_it(store, mark)
        assert "自来水" not in _aliases(store, Category, "heating_water")
        with store.writer() as s:
            ensure_catalogue(s)
        aliases = _aliases(store, Category, "heating_water")
        assert "自来水" in aliases and "no heat" in aliases and "停水" in aliases
        assert len(aliases) == len(set(aliases))
        assert "灯管所" in _aliases(store, Department, "street_light_office")
        with store.writer() as s:
            assert s.get(Department, "street_light_office").name_zh == "城区路灯所"
        assert store.get_meta(BUILTIN_MARK) not in ("", mark)
    # Marked as holding this file's aliases: the next start reads nothing again.
    _as_an_older_release_left_it(store, store.get_meta(BUILTIN_MARK))
    with store.writer() as s:
        ensure_catalogue(s)
    assert "自来水" not in _aliases(store, Category, "heating_water")


def test_a_citys_own_catalogue_is_not_merged_with_the_built_in_one(store, tmp_path):
    from models.reference.catalogue import BUILTIN_MARK, CUSTOM, ensure_catalogue, load_catalogue
    from models.store.tables import Category

    city = tmp_path / "city.toml"
    city.write_text('[[category]]\ncode = "heating_water"\nname_zh = "供水"\nname_en = "Water"\n'
                    'aliases = ["水管爆了"]\n', encoding="utf-8")
    with store.writer() as s:
        load_catalogue(s, city)
        ensure_catalogue(s)
    assert store.get_meta(BUILTIN_MARK) == CUSTOM
    assert _aliases(store, Category, "heating_water") == ["水管爆了"]
