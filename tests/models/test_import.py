"""CSV import: the contract's schema, real 311 and Chinese files, and the edge cases of the field."""

from __future__ import annotations

import csv
import json
import tracemalloc

import pytest
from sqlmodel import func, select

from models.importing.importer import ImportError_, import_csv
from models.reference.pending import list_pending
from models.store.tables import Case, Department

from ..conftest import real_file

HEADER = "case_id,created_at,caller_phone,caller_name,address,category,department,status,description\n"


def write(tmp_path, text: str, name="cases.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return str(path)


def cases(store) -> list[Case]:
    with store.session() as s:
        return list(s.exec(select(Case).order_by(Case.created_at)).all())


def test_schema_file_imports_with_bom_quoted_newlines_and_zones(store, tmp_path):
    path = write(tmp_path, "\ufeff" + HEADER
                 + 'c1,2026-03-10 09:15:00,13812345678,王女士,大杨村28号,马蜂窝,街道,open,"梧桐树上\n有马蜂窝"\n'
                 + 'c2,2026-03-10T10:00:00+08:00,,,芦席营22号,路灯,Street Lighting Office,办结,路灯不亮\n')
    report = import_csv(store, path, tz="Asia/Shanghai")
    assert (report.imported, report.rejected_count) == (2, 0)
    first, second = cases(store)
    assert first.external_id == "c1" and first.description == "梧桐树上\n有马蜂窝"
    assert first.caller_phone == "+8613812345678" and first.category == "hornet_nest"
    assert first.lead_department == "street_office"  # alias 街道 → catalogue code
    assert first.created_at.isoformat() == "2026-03-10T01:15:00+00:00"
    assert second.lead_department == "street_light_office" and second.status == "resolved"
    assert second.sync_state == "imported"


def test_bad_rows_are_reported_by_the_line_they_start_on(store, tmp_path):
    path = write(tmp_path, HEADER
                 + 'a,2026-03-10 09:00,,,addr,,,open,"spans\ntwo lines"\n'      # lines 2-3
                 + "b,not a date,,,addr,,,open,desc\n"                            # line 4
                 + "c,2026-03-10 09:00,,,addr,,,open,\n"                          # line 5: no description
                 + "d,2026-03-10 09:00,,,addr,,,open\n"                           # line 6: short row
                 + "e,2026-03-10 09:00,phone?,,addr,,,open,desc\n"                # line 7: bad phone
                 + "f,2026-03-10 09:00,,,addr,,,open,fine\n")
    report = import_csv(store, path)
    assert report.imported == 2
    assert [(r.line, r.reason.split(":")[0].split(" ")[0]) for r in report.rejected] == [
        (4, "created_at"), (5, "no"), (6, "expected"), (7, "caller_phone")]
    assert "2026-03-10 09:15:00" in report.rejected[0].reason  # says what form to use


def test_reimport_creates_no_duplicates_with_or_without_case_id(store, tmp_path):
    text = ("created_at,address,description\n2026-03-10 09:00,龙蟠中路,路灯不亮\n"
            "2026-03-11 09:00,龙蟠中路,路灯还是不亮\n")
    path = write(tmp_path, text)
    assert import_csv(store, path).imported == 2
    again = import_csv(store, path)
    assert (again.imported, again.duplicates) == (0, 2)
    assert len(cases(store)) == 2


def test_missing_description_column_is_refused_with_a_hint(store, tmp_path):
    path = write(tmp_path, "id,when,where\n1,2026-03-10,x\n")
    with pytest.raises(ImportError_) as err:
        import_csv(store, path)
    assert "--map" in str(err.value) and "description" in str(err.value)
    assert cases(store) == []


def test_missing_optional_columns_are_fine(store, tmp_path):
    report = import_csv(store, write(tmp_path, "description\n只有描述\n"))
    assert report.imported == 1 and cases(store)[0].address == ""


def test_unknown_columns_are_ignored(store, tmp_path):
    report = import_csv(store, write(tmp_path, "description,weather,mood\n路灯不亮,rain,sad\n"))
    assert report.imported == 1


def test_ten_megabyte_description_imports_whole(store, tmp_path):
    big = "路灯" * (5 * 1024 * 1024)  # 10 Mi characters
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "description"])
        w.writerow(["big", big])
        w.writerow(["small", "小"])
    report = import_csv(store, path)
    assert report.imported == 2
    with store.session() as s:
        got = s.exec(select(func.length(Case.description)).where(Case.external_id == "big")).one()
    assert got == len(big)


def test_traditional_chinese_is_stored_as_written(store, tmp_path):
    path = write(tmp_path, "case_id,description,address\nt1,路燈不亮，晚上很黑,臺北市中山區\n")
    import_csv(store, path)
    assert cases(store)[0].description == "路燈不亮，晚上很黑"
    assert cases(store)[0].address == "臺北市中山區"


def test_not_utf8_is_refused_with_the_fix(store, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("description\n路灯不亮\n".encode("gbk"))
    with pytest.raises(ImportError_) as err:
        import_csv(store, path)
    assert "--encoding" in str(err.value)
    assert import_csv(store, path, encoding="gb18030").imported == 1


@pytest.mark.parametrize("parallel", [False, True])
def test_a_bad_byte_deep_in_a_file_is_named_by_its_line_and_the_mended_file_adds_the_rest(
        store, tmp_path, parallel):
    """A file that stops being UTF-8 far in: the error names the line and the byte of the file
    (not of the reader's chunk), and once mended, importing it again adds every row once."""
    rows = [f"r{i},路灯不亮 第{i}号" for i in range(20_000)]
    good = ("case_id,description\n" + "\n".join(rows) + "\n").encode()
    bad_at = good.index(b"r15000,")
    bad = good[:bad_at] + b"r15000,\xff\xfe bad\n" + good[good.index(b"\n", bad_at) + 1:]
    path = tmp_path / "mixed.csv"
    path.write_bytes(bad)
    with pytest.raises(ImportError_) as err:
        import_csv(store, path, parallel=parallel)
    message = str(err.value)
    assert f"line {15_002:,}" in message  # the header is line 1
    assert f"byte {bad_at + len(b'r15000,'):,} of the file" in message
    assert "--encoding" in message
    with store.raw() as conn:
        before = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
    assert 0 < before < 15_000  # the batches before the bad line were written
    path.write_bytes(good)
    report = import_csv(store, path, parallel=parallel)
    with store.raw() as conn:
        assert conn.execute('SELECT count(*), count(DISTINCT external_id) FROM "case"'
                            ).fetchone() == (20_000, 20_000)
    assert report.imported == 20_000 - before and report.duplicates == before


def test_excel_serial_and_slash_dates(store, tmp_path):
    path = write(tmp_path, "case_id,created_at,description\n"
                 "x1,43474.5,excel serial\nx2,2019/4/25 9:32:09,slashes\nx3,03/01/2011 02:27:57 PM,us\n")
    report = import_csv(store, path, tz="Asia/Shanghai")
    assert report.rejected_count == 0
    got = {c.external_id: c.created_at.astimezone().strftime("%Y-%m-%d %H:%M") for c in cases(store)}
    assert got == {"x1": "2019-01-09 12:00", "x2": "2019-04-25 09:32", "x3": "2011-03-01 14:27"}


def test_control_characters_in_source_are_dropped(store, tmp_path):
    import_csv(store, write(tmp_path, "description\n\"灯\x1b[2J坏了\x07 [bold]x[/]\"\n"))
    assert cases(store)[0].description == "灯[2J坏了 [bold]x[/]"


def test_user_mapping_file(store, tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('name = "mine"\n[columns]\ndescription = "诉求"\naddress = "地点"\n'
                       'created_at = "时间"\ncase_id = { join = ["年", "号"], sep = "-" }\n',
                       encoding="utf-8")
    path = write(tmp_path, "年,号,时间,地点,诉求\n2026,7,2026-03-01 08:00,湖南路,噪音\n")
    report = import_csv(store, path, str(mapping))
    assert report.mapping == "mine" and report.imported == 1
    assert cases(store)[0].external_id == "2026-7"


def test_memory_stays_flat_as_the_file_grows(store, tmp_path, monkeypatch):
    """Streamed: the peak for 100,000 rows is about that for 25,000 (a few batches in flight,
    and the search postings of one segment, never the file). The segment is made small here so
    that both sizes fill the pipeline and the index's buffers: only growth would show."""
    from models.search import index as search_index

    monkeypatch.setattr(search_index, "SEGMENT_POSTINGS", 150_000)
    monkeypatch.setattr(search_index, "SEGMENT_TERMS", 30_000)

    def peak(rows: int) -> int:
        path = tmp_path / f"r{rows}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["case_id", "created_at", "address", "description"])
            for i in range(rows):
                w.writerow([f"{rows}-{i}", "2026-03-10 09:00:00", f"湖南路{i}号", "路灯不亮" * 20])
        tracemalloc.start()
        import_csv(store, path)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(25_000), peak(100_000)
    assert large < small * 2, (small, large)


@pytest.mark.parametrize("name,mapping,rows", [
    ("nyc311_2011_sample.csv", "nyc311", 2000),
    ("nyc311_2024_sample.csv", "nyc311", 1000),
    ("la311_2017_sample.csv", "la311", 9999),
    ("gov_messages_zh_with_replies.csv", "gov_messages_zh", 2816),
])
def test_every_real_file_imports_through_its_detected_mapping(store, name, mapping, rows):
    path = real_file(name)
    report = import_csv(store, path)
    assert report.mapping == mapping
    assert report.rows == rows
    assert report.imported + report.rejected_count == rows
    assert report.imported >= rows * 0.99
    # Names the catalogue does not know wait for a lead; none is added by itself.
    assert report.departments_pending and not report.departments_added
    again = import_csv(store, path)
    assert again.imported == 0 and again.duplicates == report.imported
    with store.session() as s:
        sample = s.exec(select(Case).limit(1)).one()
        depts = s.exec(select(Department).where(Department.source == "import")).all()
    assert sample.description and sample.created_at.tzinfo is not None
    assert depts == []
    assert {p.name for p in list_pending(store)} == set(report.departments_pending)


def test_chinese_messages_keep_subject_detail_reply_and_agency(store):
    import_csv(store, real_file("gov_messages_zh_with_replies.csv"))
    with store.session() as s:
        case = s.exec(select(Case).where(Case.external_id == "2549")).one()
    assert case.title == "A2区景蓉华苑物业管理有问题"
    assert "物业公司" in case.description and case.resolution.startswith("现将网友")
    assert case.lead_department  # the reply names 区住房和城乡建设局 / 桂花坪街道
    assert case.resolved_at is not None and case.resolved_at > case.created_at


def test_report_as_json_is_serialisable(store, tmp_path):
    report = import_csv(store, write(tmp_path, "description\nx\n\ny\n"))
    data = json.loads(json.dumps(report.as_dict()))
    assert data["imported"] == 2 and data["rejected"] == 0


def _case_indexes(store) -> dict[str, str]:
    with store.raw() as conn:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                 "AND tbl_name = 'case' AND sql IS NOT NULL").fetchall())


def _big_file(tmp_path, rows: int, resolved_from: int | None = None) -> str:
    """Open cases, or from row `resolved_from` on, resolved ones (awaiting a callback)."""
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "created_at", "caller_phone", "description"]
                   + (["status"] if resolved_from is not None else []))
        for i in range(rows):
            w.writerow([f"B{i}", "2026-03-10 09:00:00", f"1380000{i % 1000:04d}", f"路灯不亮 {i}"]
                       + (["resolved" if i >= resolved_from else "open"]
                          if resolved_from is not None else []))
    return str(path)


def test_a_big_import_sets_the_indexes_aside_and_builds_them_again(store, tmp_path, monkeypatch):
    """The case table's secondary indexes are dropped for a big file and rebuilt at its end,
    each one reported, except the partial ones no row of the first batch enters (kept in place,
    and right at the end though later rows enter one); the store ends with exactly the indexes
    it had, and the queries that use them answer; the search index's segments are joined into
    one per term."""
    from models.importing import importer
    from models.search import index as search_index

    before = _case_indexes(store)
    partial = {name for name, sql in before.items() if "WHERE" in sql}
    # the small queues (extension, repeat, supervised), the open cases, the callbacks due
    assert len(partial) == 7 and len(before) == 12
    monkeypatch.setattr(importer, "DEFER_INDEXES_ROWS", 1000)
    monkeypatch.setattr(search_index, "SEGMENT_POSTINGS", 20_000)  # several segments
    built, kept = [], []
    original = importer._write_batch

    def write_batch(conn, *args):  # which indexes the rows are written with
        kept.append(set(dict(conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'case' "
            "AND sql IS NOT NULL").fetchall())))
        return original(conn, *args)
    monkeypatch.setattr(importer, "_write_batch", write_batch)
    report = import_csv(store, _big_file(tmp_path, 12_000, resolved_from=8_000), parallel=False,
                        index_progress=lambda done, of: built.append((done, of)))
    assert report.imported == 12_000
    assert _case_indexes(store) == before and len(before) >= 10
    # the first batch (open cases) goes in with every index; then every secondary index is set
    # aside but the partial ones it did not enter: the callbacks due and the three small queues
    assert kept[0] == set(before)
    assert kept[-1] == {"ix_case_callbacks_due", "ix_case_extension", "ix_case_repeat",
                        "ix_case_supervised"}
    assert built[-1] == (8, 8)
    with store.raw() as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # the callbacks-due index, kept in place, holds the 4,000 resolved cases written later
        assert conn.execute(
            'SELECT count(*) FROM "case" INDEXED BY ix_case_callbacks_due WHERE status = '
            "'resolved' AND satisfaction = '' AND caller_phone != ''").fetchone()[0] == 4_000
        assert conn.execute("SELECT count(*) FROM meta WHERE key LIKE 'deferred_indexes:%'"
                            ).fetchone()[0] == 0
        plan = " ".join(r[3] for r in conn.execute(
            'EXPLAIN QUERY PLAN SELECT id FROM "case" WHERE caller_phone = ?', ("+8613800000007",)))
        assert "ix_case_caller_phone" in plan
        assert conn.execute('SELECT count(*) FROM "case" WHERE caller_phone = ?',
                            ("+8613800000007",)).fetchone()[0] == 12
        # ... and the index ends with each term in one segment (one row), as a search reads fastest
        terms, rows, most = conn.execute(
            "SELECT (SELECT count(*) FROM search_term), (SELECT count(*) FROM search_postings), "
            "(SELECT max(segments) FROM search_term)").fetchone()
        assert terms == rows and most == 1 and terms > 1000


def test_a_big_import_leaves_the_segments_to_its_end_and_a_failed_one_merges_them(
        store, tmp_path, monkeypatch):
    """A big import does not merge a term's segments as they pile up (MERGE_AT): its end joins
    them all; one stopped by a bad line merges the crowded terms it leaves, as the flushes would
    have."""
    from models.importing import importer, parse
    from models.search import index as search_index

    monkeypatch.setattr(importer, "DEFER_INDEXES_ROWS", 1000)
    monkeypatch.setattr(parse, "BATCH", 500)
    monkeypatch.setattr(search_index, "SEGMENT_POSTINGS", 4_000)  # a segment a batch or so
    seen = []
    original = importer._write_batch

    def write_batch(conn, *args):
        seen.append(conn.execute("SELECT coalesce(max(segments), 0) FROM search_term"
                                 ).fetchone()[0])
        return original(conn, *args)
    monkeypatch.setattr(importer, "_write_batch", write_batch)
    import_csv(store, _big_file(tmp_path, 12_000), parallel=False)
    assert max(seen) > search_index.MERGE_AT  # never merged on the way
    with store.raw() as conn:
        assert conn.execute("SELECT max(segments) FROM search_term").fetchone()[0] == 1

    seen.clear()
    bad = tmp_path / "bad.csv"
    good = open(_big_file(tmp_path, 12_000), encoding="utf-8").read().replace("B", "C")
    cut = good.index("C9000,")
    bad.write_bytes(good[:cut].encode() + b"C9000,\xff\n")
    with pytest.raises(ImportError_):
        import_csv(store, bad, parallel=False)
    assert max(seen) > search_index.MERGE_AT
    with store.raw() as conn:
        assert conn.execute("SELECT max(segments) FROM search_term").fetchone()[0] < \
            search_index.MERGE_AT
        assert conn.execute('SELECT count(*) FROM "case" WHERE external_id LIKE \'C%\''
                            ).fetchone()[0] > 0


def test_batches_are_committed_a_few_at_a_time_and_the_lock_let_go_between(
        store, tmp_path, monkeypatch):
    """The import's transaction spans COMMIT_ROWS rows of batches (a page several batches
    change goes to the WAL once); between two such commits another terminal can write, and it
    sees whole commits. A bad line ends the import with the rows before it kept."""
    import sqlite3

    from models.importing import importer, parse

    monkeypatch.setattr(parse, "BATCH", 500)
    monkeypatch.setattr(importer, "COMMIT_ROWS", 1500)
    monkeypatch.setattr(importer, "COMMIT_SECONDS", 3600)
    seen = []  # after each batch: (rows another connection sees, could it take the write lock)

    def progress(pos, total):
        other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        try:
            rows = other.execute('SELECT count(*) FROM "case"').fetchone()[0]
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                free = True
            except sqlite3.OperationalError:  # database is locked
                free = False
            seen.append((rows, free))
        finally:
            other.close()

    good = open(_big_file(tmp_path, 4_000), encoding="utf-8").read()
    bad = tmp_path / "bad.csv"
    cut = good.index("B3600,")  # in the third commit's second batch
    bad.write_bytes(good[:cut].encode() + b"B3600,\xff\n")
    with pytest.raises(ImportError_):
        import_csv(store, bad, parallel=False, progress=progress)
    assert seen[:7] == [(0, False), (0, False), (1500, True), (1500, False), (1500, False),
                        (3000, True), (3000, False)]
    with store.raw() as conn:  # the batches of the open transaction are kept too
        assert conn.execute('SELECT count(*) FROM "case"').fetchone()[0] == 3500


def test_a_small_import_keeps_the_indexes_in_place(store, tmp_path, monkeypatch):
    from models.importing import importer

    monkeypatch.setattr(importer, "DEFER_INDEXES_ROWS", 1000)
    built = []
    import_csv(store, _big_file(tmp_path, 500), parallel=False,
               index_progress=lambda done, of: built.append(done))
    assert built == []  # never set aside


def test_indexes_a_crash_left_aside_are_built_on_the_next_open(store, tmp_path):
    """A process that died between setting the indexes aside and building them again: the next
    open of the store builds them; a note whose process is alive (an import running) is left."""
    import subprocess

    from models.store import deferred_indexes, open_store

    before = _case_indexes(store)
    import_csv(store, _big_file(tmp_path, 300), parallel=False)
    with store.raw() as conn:
        deferred_indexes.set_aside(conn, "case")
    assert _case_indexes(store) == {}
    assert _case_indexes(open_store(store.data_dir)) == {}  # this process noted it: running
    gone = subprocess.Popen(["true"])
    gone.wait()
    with store.raw() as conn:
        note = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'deferred_indexes:case'"
                                       ).fetchone()[0])
        note["pid"] = gone.pid  # a process that has ended
        conn.execute("UPDATE meta SET value = ? WHERE key = 'deferred_indexes:case'",
                     (json.dumps(note),))
    reopened = open_store(store.data_dir)
    assert _case_indexes(reopened) == before
    with reopened.raw() as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = 'deferred_indexes:case'"
                            ).fetchone()[0] == 0
