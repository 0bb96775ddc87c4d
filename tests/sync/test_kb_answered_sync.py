"""A case answered from a knowledge article reaches the central server with the article and
version on its created event (SQLite and the real PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import text

from models.cases import file_case
from models.domain.case_shape import CaseDraft
from models.kb import AnsweredFrom
from sync.client.engine import SyncEngine

from .sync_fixtures import *  # noqa: F403 (fixtures)
from .sync_support import server_db


def test_the_server_keeps_which_article_answered_the_call(server, make_user, terminal, db_url):
    token = make_user("a1")
    store = terminal("a")
    case = file_case(store, CaseDraft(description="暂住证到哪里办", disposition="answered",
                                      notes="答复：到居住地派出所申领"), "a1", lang="zh",
                     answered_from=AnsweredFrom("residence-permit", 3, "居住证办理", "zh"))
    SyncEngine(store, server.url, token).run()
    db = server_db(db_url)
    try:
        with db.engine.connect() as conn:
            status = conn.execute(text('SELECT status FROM "case" WHERE id = :i'),
                                  {"i": case.id}).scalar()
            note, data = conn.execute(text(
                "SELECT note, data FROM caseevent WHERE case_id = :i AND kind = 'created'"),
                {"i": case.id}).one()
    finally:
        db.dispose()
    data = data if isinstance(data, dict) else __import__("json").loads(data)
    assert status == "closed"
    assert (data["kb_article"], data["kb_version"]) == ("residence-permit", 3)
    assert note == "依据知识 residence-permit 第 3 版答复：居住证办理"


def test_a_bad_article_reference_is_refused_by_name_and_other_dispositions_drop_it():
    import pytest

    from models.domain.messages import ValidationFailed
    from sync.server.received import created_event_data

    answered = {"disposition": "answered", "lead_department": "", "co_departments": []}
    for data, field in (({"kb_article": "a b", "kb_version": 1}, "data.kb_article"),
                        ({"kb_article": "x", "kb_version": "1"}, "data.kb_version"),
                        ({"kb_article": "x", "kb_version": True}, "data.kb_version"),
                        ({"kb_version": 2}, "data.kb_article")):
        with pytest.raises(ValidationFailed) as exc:
            created_event_data(answered, data)
        assert [p.field for p in exc.value.problems] == [field]
    dispatched = dict(answered, disposition="dispatch")
    assert "kb_article" not in created_event_data(dispatched, {"kb_article": "x", "kb_version": 1})
    assert created_event_data(answered, {"kb_article": "x", "kb_version": 2})["kb_version"] == 2
