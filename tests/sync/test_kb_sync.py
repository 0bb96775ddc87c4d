"""The knowledge base kept on the central server (SQLite and PostgreSQL, a real server on
localhost): leads publish, terminals pull and search offline, withdrawals disappear, versions
move only on a change, agents are refused, bad values are 422s naming the field, quick phrases
sync; and the `hotline kb push/publish/withdraw/phrase-*` commands against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx

from models.kb import KnowledgeSearch
from models.kb.phrases import Phrasebook
from sync.client.engine import SyncEngine
from sync.protocol import PROTOCOL_HEADER

from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import ROOT, server_db


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", PROTOCOL_HEADER: "1"}


def _hotline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agent_tui.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOTLINE_LANG": "en"})


HEATING = {"title": "供暖季什么时候开始", "answer": "本市供暖季为每年11月15日至次年3月15日。",
           "category": "供暖", "tags": ["暖气", "供暖"], "department": "城管局",
           "valid_from": "2026-01-01", "valid_until": "2199-12-31"}


def _sync(store, url: str, token: str) -> SyncEngine:
    engine = SyncEngine(store, url, token)
    try:
        engine.run(attempts=1)
    finally:
        engine.close()
    return engine


def _local(store, article_id: str) -> tuple | None:
    with store.raw() as conn:
        return conn.execute("SELECT version, withdrawn, answer, source FROM kb_article "
                            "WHERE id = ?", (article_id,)).fetchone()


def _indexed(store, article_id: str) -> bool:
    with store.raw() as conn:
        return conn.execute("SELECT 1 FROM kb_index_doc WHERE article_id = ?",
                            (article_id,)).fetchone() is not None


def _found(store, text: str) -> list[tuple[str, int]]:
    engine = KnowledgeSearch(store)
    try:
        return [(h.id, h.version) for h in engine.search(text, limit=5)]
    finally:
        engine.close()


def test_versions_publish_withdraw_reach_the_terminal(server, make_user, terminal, db_url):
    lead, agent = make_user("boss", "lead"), make_user("a1")
    url = server.url
    put = lambda body, aid="heating": httpx.put(f"{url}/v1/kb/articles/{aid}",  # noqa: E731
                                                headers=_h(lead), json=body)
    r = put(HEATING | {"publish": True})
    assert r.status_code == 200, r.text
    assert (r.json()["outcome"], r.json()["version"], r.json()["published_version"]) == ("added", 1, 1)
    # The same content again: no new version, nothing for terminals.
    r = put(HEATING | {"publish": True})
    assert (r.json()["outcome"], r.json()["version"]) == ("unchanged", 1)
    t = terminal("t1")
    engine = _sync(t, url, agent)
    assert engine.report.pulled_articles == 1
    assert _local(t, "heating")[:2] == (1, 0)
    assert _found(t, "暖气什么时候来")[0] == ("heating", 1)
    # A changed draft is version 2 on the server; terminals keep the published version 1.
    changed = HEATING | {"answer": "本市供暖季为每年11月1日至次年3月31日。"}
    r = put(changed)
    assert (r.json()["outcome"], r.json()["version"], r.json()["published_version"]) == ("updated", 2, 1)
    assert _sync(t, url, agent).report.pulled_articles == 0
    assert _local(t, "heating")[:2] == (1, 0)
    r = httpx.post(f"{url}/v1/kb/articles/heating/publish", headers=_h(lead))
    assert r.json()["published_version"] == 2
    _sync(t, url, agent)
    assert _local(t, "heating")[:3] == (2, 0, changed["answer"])
    assert _found(t, "暖气什么时候来")[0] == ("heating", 2)
    with t.raw() as conn:  # both versions readable on the terminal (what an agent read out then)
        assert {r[0] for r in conn.execute(
            "SELECT version FROM kb_revision WHERE article_id = 'heating'")} == {1, 2}
    # Withdrawn on the server: gone from the terminal's search and index after its next pull.
    r = httpx.post(f"{url}/v1/kb/articles/heating/withdraw", headers=_h(lead))
    assert r.status_code == 200 and r.json()["withdrawn"] is True
    assert _indexed(t, "heating")
    _sync(t, url, agent)
    assert _local(t, "heating")[1] == 1
    assert not _indexed(t, "heating")
    assert "heating" not in [i for i, _ in _found(t, "暖气什么时候来")]
    # A second terminal's first sync never sees it; publishing again brings it back.
    t2 = terminal("t2")
    _sync(t2, url, make_user("a2"))
    assert _local(t2, "heating") == (2, 1, changed["answer"], "server")
    assert not _indexed(t2, "heating")
    httpx.post(f"{url}/v1/kb/articles/heating/publish", headers=_h(lead))
    _sync(t, url, agent)
    assert _found(t, "暖气什么时候来")[0] == ("heating", 2)
    # Never-published drafts never reach terminals.
    put({"title": "Draft only", "answer": "not yet"}, "draft-1")
    _sync(t, url, agent)
    assert _local(t, "draft-1") is None
    # Unknown ids are 404s.
    assert httpx.post(f"{url}/v1/kb/articles/nope/withdraw", headers=_h(lead)).status_code == 404


def test_agents_are_refused_and_bad_values_name_the_field(server, make_user, db_url):
    lead, agent = make_user("boss", "lead"), make_user("a1")
    url = server.url
    for method, path, body in (
            ("PUT", "/v1/kb/articles/x", {"title": "t", "answer": "a"}),
            ("POST", "/v1/kb/articles/x/publish", None),
            ("POST", "/v1/kb/articles/x/withdraw", None),
            ("POST", "/v1/kb/import", {"articles": []}),
            ("PUT", "/v1/kb/phrases/zh/gr", {"text": "您好"}),
            ("DELETE", "/v1/kb/phrases/zh/gr", None),
            ("GET", "/v1/kb/articles", None)):
        r = httpx.request(method, url + path, headers=_h(agent), json=body)
        assert r.status_code == 403, (method, path, r.text)
    admin = make_user("root", "admin")  # admins may, like leads
    r = httpx.put(f"{url}/v1/kb/articles/by-admin", headers=_h(admin),
                  json={"title": "t", "answer": "a", "publish": True})
    assert r.status_code == 200 and r.json()["updated_by"] == "root"
    assert [a["id"] for a in httpx.get(f"{url}/v1/kb/articles", headers=_h(lead)).json()] == ["by-admin"]
    bad = {
        "title": {"title": "", "answer": "a"},
        "answer": {"title": "t"},
        "lang": {"title": "t", "answer": "a", "lang": "fr"},
        "valid_from": {"title": "t", "answer": "a", "valid_from": "2026-13-01"},
        "valid_until": {"title": "t", "answer": "a", "valid_from": "2026-03-01",
                        "valid_until": "2026-02-01"},
    }
    for field, body in bad.items():
        r = httpx.put(f"{url}/v1/kb/articles/bad", headers=_h(lead), json=body)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", field], r.json()
        assert r.json()["detail"].startswith(field)
    # Beyond what any reader can hold (year 9999 in the furthest zone): refused, not stored.
    r = httpx.put(f"{url}/v1/kb/articles/bad", headers=_h(lead),
                  json={"title": "t", "answer": "a", "valid_until": "9999-12-31T23:59:59-12:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "valid_until"]
    r = httpx.put(f"{url}/v1/kb/articles/bad", headers=_h(lead),
                  json={"title": "t", "answer": "a", "tags": "not a list"})
    assert r.status_code == 422 and "tags" in r.json()["detail"]
    r = httpx.put(f"{url}/v1/kb/phrases/fr/gr", headers=_h(lead), json={"text": "x"})
    assert r.status_code == 422 and "lang" in r.json()["detail"]
    r = httpx.put(f"{url}/v1/kb/phrases/zh/toolongcode", headers=_h(lead), json={"text": "x"})
    assert r.status_code == 422 and "code" in r.json()["detail"]
    r = httpx.put(f"{url}/v1/kb/phrases/zh/gr", headers=_h(lead), json={"text": "\x00\x01"})
    assert r.status_code == 422 and "text" in r.json()["detail"]
    # A batch: the bad article is rejected naming its field, the good one is saved.
    r = httpx.post(f"{url}/v1/kb/import", headers=_h(lead), json={"articles": [
        {"id": "good", "title": "Bulky items", "answer": "Book a pickup."},
        {"id": "worse", "title": "No answer"}]})
    assert r.status_code == 200
    outcomes = {x["id"]: (x["outcome"], x["reason"]) for x in r.json()["results"]}
    assert outcomes["good"] == ("added", "")
    assert outcomes["worse"][0] == "rejected" and outcomes["worse"][1].startswith("answer")
    db = server_db(db_url)
    try:
        from sqlalchemy import select

        from sync.server.tables import kb_article
        with db.reader() as s:
            assert list(s.execute(select(kb_article.c.id).order_by(kb_article.c.id)).scalars()
                        ) == ["by-admin", "good"]
    finally:
        db.dispose()


def test_quick_phrases_sync(server, make_user, terminal):
    lead, agent = make_user("boss", "lead"), make_user("a1")
    url = server.url
    t = terminal("t1")
    engine = _sync(t, url, agent)
    assert engine.report.pulled_phrases == 16  # the built-in set, seeded on the server
    r = httpx.put(f"{url}/v1/kb/phrases/zh/gr", headers=_h(lead),
                  json={"text": "您好，市民热线{agent}号为您服务。", "label": "kb.phrase.greeting"})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = httpx.put(f"{url}/v1/kb/phrases/zh/;gr", headers=_h(lead),
                  json={"text": "您好，市民热线{agent}号为您服务。"})
    assert r.json()["version"] == 2  # unchanged: no new version
    r = httpx.put(f"{url}/v1/kb/phrases/en/bye", headers=_h(lead), json={"text": "Bye now."})
    assert (r.json()["code"], r.json()["version"]) == (";bye", 1)
    assert httpx.delete(f"{url}/v1/kb/phrases/en/cl", headers=_h(lead)).json()["withdrawn"] is True
    assert httpx.delete(f"{url}/v1/kb/phrases/en/zz", headers=_h(lead)).status_code == 404
    engine = _sync(t, url, agent)
    assert engine.report.pulled_phrases == 3
    book = Phrasebook.load(t)
    assert book.expand(";gr", "zh", agent="007") == "您好，市民热线007号为您服务。"
    assert book.expand(";bye", "en") == "Bye now."
    assert (";cl", "en") not in book.phrases and (";cl", "zh") in book.phrases


def test_cli_push_then_search_offline(server, make_user, tmp_path, db_url):
    lead, agent = make_user("boss", "lead"), make_user("a1")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "permit.md").write_text(
        "---\nid: residence-permit\ntitle: 居住证怎么办理\nanswer: 持身份证和租房合同到社区服务中心申领。\n"
        "tags: [居住证, 暂住证]\nvalid_from: 2026-01-01\n---\n正文\n", encoding="utf-8")
    (folder / "permit-en.md").write_text(
        "---\nid: residence-permit-en\ntitle: How to get a residence permit\nanswer: Bring your "
        "ID card and lease to the community service centre.\nlang: en\n"
        "translation_of: residence-permit\n---\n", encoding="utf-8")
    (folder / "broken.md").write_text("---\nid: broken\nanswer: no title\n---\n", encoding="utf-8")
    lead_dir, term_dir = str(tmp_path / "lead"), str(tmp_path / "term")
    common = ["--server", server.url]
    r = _hotline("kb", "push", str(folder), "--json", "--data-dir", lead_dir, *common,
                 "--token", agent)
    assert r.returncode == 1 and "403" in r.stderr  # an agent may not publish
    r = _hotline("kb", "push", str(folder), "--json", "--data-dir", lead_dir, *common,
                 "--token", lead)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["added"], out["published"], out["rejected"]) == (2, 2, 1)
    assert out["problems"][0]["file"] == "broken.md" and "title" in out["problems"][0]["message"]
    again = json.loads(_hotline("kb", "push", str(folder), "--json", "--data-dir", lead_dir,
                                *common, "--token", lead).stdout)
    assert (again["added"], again["unchanged"]) == (0, 2)
    r = _hotline("sync", "--data-dir", term_dir, *common, "--token", agent, "--remember")
    assert r.returncode == 0, r.stderr
    assert "2 articles" in r.stderr
    server.stop()  # offline from here
    r = _hotline("kb", "search", "暂住证怎么办", "--json", "--data-dir", term_dir)
    assert r.returncode == 0, r.stderr
    hits = [json.loads(line) for line in r.stdout.splitlines()]
    assert hits[0]["id"] in ("residence-permit", "residence-permit-en")
    assert hits[0]["version"] == 1
    shown = json.loads(_hotline("kb", "show", "residence-permit-en", "--json",
                                "--data-dir", term_dir).stdout)
    assert shown["group_id"] == "residence-permit" and shown["source"] == "server"


def test_cli_withdraw_and_phrase_commands(server, make_user, tmp_path):
    lead, agent = make_user("boss", "lead"), make_user("a1")
    common = ["--server", server.url, "--data-dir", str(tmp_path / "lead"), "--token", lead]
    httpx.put(f"{server.url}/v1/kb/articles/noise", headers=_h(lead),
              json={"title": "Noise at night", "answer": "Call the police line.", "publish": True})
    term = ["--data-dir", str(tmp_path / "term"), "--server", server.url, "--token", agent]
    assert _hotline("sync", *term).returncode == 0
    assert json.loads(_hotline("kb", "search", "noise", "--json", *term[:2]).stdout)["id"] == "noise"
    r = _hotline("kb", "withdraw", "noise", "--json", *common)
    assert r.returncode == 0 and json.loads(r.stdout)["withdrawn"] is True
    assert _hotline("kb", "withdraw", "missing", *common).returncode == 1
    r = _hotline("kb", "phrase-set", ";ty", "en", "Thank you, {name}.", "--json", *common)
    assert r.returncode == 0 and json.loads(r.stdout)["version"] == 1
    assert _hotline("kb", "phrase-delete", ";wt", "zh", *common).returncode == 0
    assert _hotline("sync", *term).returncode == 0
    assert _hotline("kb", "search", "noise", "--json", *term[:2]).stdout.strip() == ""
    phrases = [json.loads(line) for line in
               _hotline("kb", "phrases", "--json", *term[:2]).stdout.splitlines()]
    codes = {(p["code"], p["lang"]) for p in phrases}
    assert (";ty", "en") in codes and (";wt", "zh") not in codes


def test_demo_server_publishes_the_demo_articles(tmp_path, terminal):
    """`hotline demo`'s server holds the demo article set, published: the demo terminal's
    copies (seeded locally too) come back from sync at the same versions."""
    from agent_tui.demo_server import DemoServer
    from models.demo import seed_demo
    from models.kb.demo import DEMO_ARTICLES

    files = len(list(DEMO_ARTICLES.rglob("*.md")))
    srv = DemoServer(tmp_path / "demo")
    (tmp_path / "demo").mkdir()
    srv.prepare()
    tokens = srv.prepare()  # a second start publishes nothing new
    srv.start(wait=30)
    try:
        t = terminal("demo")
        seed_demo(t, 10)
        engine = _sync(t, srv.url, tokens["demo"])
    finally:
        srv.stop()
    assert engine.report.pulled_articles == files
    with t.raw() as conn:
        assert conn.execute("SELECT source, version, count(*) FROM kb_article GROUP BY 1, 2"
                            ).fetchall() == [("server", 1, files)]


def test_a_first_sync_of_many_articles_reports_progress_page_by_page(server, make_user, terminal):
    lead, agent = make_user("boss", "lead"), make_user("a1")
    for batch in range(3):
        r = httpx.post(f"{server.url}/v1/kb/import", headers=_h(lead), json={"articles": [
            {"id": f"a{batch}-{i}", "title": f"Article {batch} {i}", "answer": f"Answer {i}."}
            for i in range(40)]})
        assert r.status_code == 200
    t = terminal("t1")
    seen: list[tuple[int, int]] = []
    engine = SyncEngine(t, server.url, agent, pull_limit=40)
    try:
        engine.pull_all(progress=lambda done, total: seen.append((done, total)))
    finally:
        engine.close()
    assert engine.report.pulled_articles == 120
    assert len(seen) >= 3  # the phrases' version, then one page per imported batch
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1] > 0
    with t.raw() as conn:
        assert conn.execute("SELECT count(*) FROM kb_index_doc").fetchone()[0] == 120


def test_the_tui_status_line_shows_a_long_pull(server, make_user, terminal):
    """The TUI's sync worker publishes (done, total) while a pull of several pages runs, the
    status line shows it in both languages, and it clears when the pass ends."""
    from agent_tui.widgets.sync_status import render_status
    from sync.client.worker import SyncStatus, SyncWorker

    lead, agent = make_user("boss", "lead"), make_user("a1")
    for batch in range(3):
        httpx.post(f"{server.url}/v1/kb/import", headers=_h(lead), json={"articles": [
            {"id": f"b{batch}-{i}", "title": f"Item {i}", "answer": "Yes."} for i in range(30)]})
    worker = SyncWorker(terminal("t1"), server.url, agent)
    worker.engine.pull_limit = 30
    seen: list[SyncStatus] = []
    worker.add_listener(seen.append)
    try:
        worker._pass(0)  # one pass, on this thread
    finally:
        worker.engine.close()
    pulling = [s.pulling for s in seen if s.pulling]
    assert pulling and all(done < total for done, total in pulling)
    assert seen[-1].pulling is None and seen[-1].state == "online"
    done, total = pulling[0]
    assert render_status(SyncStatus(state="online", pulling=(done, total)), "en").plain == \
        f"● online  pulling {done}/{total}"
    assert render_status(SyncStatus(state="online", pulling=(3, 7)), "zh").plain == "● 在线  正在接收 3/7"


def test_the_demo_seed_reaches_the_demo_server_whole(tmp_path, terminal):
    """The demo's seeded history (departments' returns and resolutions, agents' callbacks)
    goes to the demo server as imported history: every case arrives with its state, nothing is
    rejected, and the demo agent's own next change still syncs (the engine resumes past the
    seed's seqs)."""
    import sqlite3

    from agent_tui.demo_server import DemoServer, send_seed, take_seed
    from models.cases import file_case
    from models.demo import seed_demo
    from models.domain.case_shape import CaseDraft

    srv = DemoServer(tmp_path / "demo")
    (tmp_path / "demo").mkdir()
    tokens = srv.prepare()
    srv.start(wait=30)
    try:
        t = terminal("demo")
        added = seed_demo(t, 120)
        seed = take_seed(t)
        send_seed(srv, tokens["history"], seed)
        mine = file_case(t, CaseDraft(caller_phone="13900000009", description="路灯不亮",
                                      address="梦都大街"), "demo")
        engine = _sync(t, srv.url, tokens["demo"])
    finally:
        srv.stop()
    assert len(seed) == added == 120
    assert engine.report.rejected == 0 and engine.report.applied >= 1
    with sqlite3.connect(tmp_path / "demo" / "server.db") as db:
        on_server = dict(db.execute('SELECT status, count(*) FROM "case" GROUP BY status'))
        assert db.execute('SELECT count(*) FROM "case" WHERE id = ?', (mine.id,)).fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM mutation WHERE outcome = 'rejected'").fetchone()[0] == 0
    with t.raw() as conn:
        local = dict(conn.execute('SELECT status, count(*) FROM "case" GROUP BY status'))
    assert on_server == local and on_server.get("returned", 0) > 0
