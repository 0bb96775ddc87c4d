"""The knowledge base on the central server: articles and quick phrases, kept and published by
shift leads and admins (`routers/kb.py` checks the role), pulled by every terminal.

An article has its latest saved content and version, and the version that is *published*:
what terminals get. Saving the same content again changes nothing (no new version, no change for
terminals); a change is the next version, kept in `kb_revision`. `publish` makes the latest
version the one terminals hold (and brings back a withdrawn article); `withdraw` takes the
article off every terminal at its next pull. A quick phrase is published when saved; deleting
one withdraws it.

Every value is checked as `hotline kb import` checks a file (`models.kb.importer`); a bad one
is a 422 naming it (`ApiError`), never a 500. Each write takes the clock's row lock first (kb
writes are rare, and this orders two leads saving one article at once) and logs what terminals
see (`kb_article`, `kb_phrase` in the change log) under that version; a write that changes
nothing rolls back and bumps nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.sql import Select
from sqlmodel import Session

from models.domain.text import clean_text
from models.domain.timeutil import from_db_text, local_zone, now
from models.kb.articles import ArticleInput
from models.kb.importer import BadArticle, Problem, article_from_fields, problem_field
from models.kb.phrases import CODE, DEFAULTS
from sync.protocol import (
    KbArticleIn,
    KbArticleItem,
    KbArticleState,
    KbArticleWire,
    KbImportRequest,
    KbImportResponse,
    KbPhraseIn,
    KbPhraseWire,
)

from .auth import User
from .db import Database, bump_clock
from .errors import ApiError
from .tables import changelog, kb_article, kb_phrase, kb_revision

ARTICLE, PHRASE = "kb_article", "kb_phrase"
LANGS = ("zh", "en")
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class BadValue(Exception):
    """A value at fault: `field` and a sentence for people."""

    def __init__(self, field: str, message: str, value: Any = None) -> None:
        super().__init__(message if message.startswith(field) else f"{field}: {message}")
        self.field, self.message, self.value = field, message, value

    def api_error(self) -> ApiError:
        error = {"type": "value_error", "loc": ["body", self.field], "msg": self.message}
        if isinstance(self.value, str):
            error["input"] = self.value[:200]
        return ApiError(422, "invalid_request", str(self), errors=[error])


# --- checking -------------------------------------------------------------------------------

def check_article(article_id: str, values: KbArticleIn) -> ArticleInput:
    """The article these values make, checked as a file's front matter is; BadValue if not."""
    fields = values.model_dump(exclude={"publish", "id"})
    try:
        art = article_from_fields(article_id, fields, local_zone())
    except BadArticle as exc:
        name = problem_field(exc)
        raise BadValue(name, Problem("", 0, exc.code, exc.params).message("en"),
                       fields.get(name)) from None
    if not art.id or len(art.id) > 64:
        raise BadValue("id", "an article id is 1 to 64 characters without spaces", article_id)
    for name in ("valid_from", "valid_until"):
        bound = getattr(art, name)
        if bound is not None and not _EARLIEST <= bound < _LATEST:
            raise BadValue(name, "a date must lie between 1970-01-01 and 2199-12-31",
                           fields.get(name))
    if len(art.group_id) > 64:
        raise BadValue("translation_of", "an article id is at most 64 characters", art.group_id)
    return art


def check_phrase_code(code: str) -> str:
    """`;gr` from `gr` or `;gr`; BadValue unless 1 to 6 letters or digits."""
    value = code.strip().lower()
    value = value if value.startswith(";") else ";" + value
    if not CODE.fullmatch(value):
        raise BadValue("code", "a phrase code is ';' and 1 to 6 letters or digits", code)
    return value


def check_lang(lang: str) -> str:
    value = lang.strip().lower()
    if value not in LANGS:
        raise BadValue("lang", "zh or en", lang)
    return value


# --- articles -------------------------------------------------------------------------------

def _state(row: Any, outcome: str = "unchanged", reason: str = "") -> KbArticleState:
    m = row._mapping if hasattr(row, "_mapping") else row
    return KbArticleState(id=m["id"], outcome=outcome, version=m["version"],
                          published_version=m["published_version"], withdrawn=m["withdrawn"],
                          updated_at=m["updated_at"], updated_by=m["updated_by"], reason=reason)


def _row(s: Session, article_id: str) -> Any:
    return s.execute(select(kb_article).where(kb_article.c.id == article_id)).first()


def _log(s: Session, version: int, entity: str, ids: list[str]) -> None:
    if ids:
        s.execute(insert(changelog), [{"version": version, "entity": entity, "entity_id": i}
                                      for i in dict.fromkeys(ids)])


def _save(s: Session, art: ArticleInput, user: User, at: datetime,
          publish: bool) -> tuple[KbArticleState, bool]:
    """Save one checked article inside the caller's transaction; (its state, whether terminals
    see a change)."""
    return _save_many(s, [art], user, at, publish)[0]


def _save_many(s: Session, arts: list[ArticleInput], user: User, at: datetime,
               publish: bool) -> list[tuple[KbArticleState, bool]]:
    """Save checked articles (distinct ids) inside the caller's transaction, in a few
    statements whatever their number; for each, (its state, whether terminals see a change)."""
    existing: dict[str, dict[str, Any]] = {}
    ids = [a.id for a in arts]
    for i in range(0, len(ids), 1000):
        for row in s.execute(select(kb_article).where(kb_article.c.id.in_(ids[i:i + 1000]))):
            existing[row.id] = dict(row._mapping)
    inserts, updates, revisions, out = [], [], [], []
    for art in arts:
        content = art.content()
        digest = art.content_hash(content)
        row = existing.get(art.id)
        columns = {name: content[name] for name in ("group_id", "lang", "title", "answer",
                                                     "body", "category", "department")}
        columns.update(tags=list(art.tags), valid_from=art.valid_from,
                       valid_until=art.valid_until)
        if row is None:
            values = dict(columns, id=art.id, version=1, content_hash=digest,
                          published_version=0, withdrawn=False, created_at=at, updated_at=at,
                          updated_by=user.id, published_at=None, published_by="")
            outcome, version = "added", 1
        elif row["content_hash"] != digest:
            version = row["version"] + 1
            values = row | columns | dict(version=version, content_hash=digest, updated_at=at,
                                          updated_by=user.id)
            outcome = "updated"
        else:
            values = dict(row)
            outcome, version = "unchanged", row["version"]
        if outcome != "unchanged":
            revisions.append(dict(article_id=art.id, version=version, at=at, by=user.id,
                                  content=content))
        # Not published: a changed draft of a published article; terminals keep the published one.
        visible = publish and (values["published_version"] != version or values["withdrawn"])
        if visible:
            values.update(published_version=version, withdrawn=False, published_at=at,
                          published_by=user.id)
        if row is None:
            inserts.append(values)
        elif outcome != "unchanged" or visible:
            updates.append({("_id" if k == "id" else k): v for k, v in values.items()})
        out.append((_state(values, outcome), visible))
    if inserts:
        s.execute(insert(kb_article), inserts)
    if revisions:
        s.execute(insert(kb_revision), revisions)
    if updates:
        names = [c.name for c in kb_article.columns if c.name != "id"]
        s.execute(update(kb_article).where(kb_article.c.id == bindparam("_id"))
                  .values({n: bindparam(n) for n in names}), updates)
    return out


def put_article(db: Database, user: User, article_id: str, values: KbArticleIn) -> KbArticleState:
    """Add or change an article (a new version only when its content changed); with `publish`,
    publish the result. 422 naming the field at fault."""
    try:
        art = check_article(article_id, values)
    except BadValue as exc:
        raise exc.api_error() from None
    with db.writer() as s:
        version = bump_clock(s)
        at = now()
        state, visible = _save(s, art, user, at, values.publish)
        if state.outcome == "unchanged" and not visible:
            s.rollback()
            return state
        _log(s, version, ARTICLE, [art.id] if visible else [])
        s.commit()
    return state


def import_articles(db: Database, user: User, req: KbImportRequest) -> KbImportResponse:
    """Save (and by default publish) a batch in one transaction; a bad article is answered
    `rejected` with the field at fault, and the rest are saved."""
    results: list[KbArticleState] = []
    checked: list[ArticleInput] = []
    seen: set[str] = set()
    for item in req.articles:
        try:
            art = check_article(item.id, item)
            if art.id in seen:
                raise BadValue("id", f"{art.id} appears twice in the batch", item.id)
        except BadValue as exc:
            results.append(KbArticleState(id=item.id, outcome="rejected", reason=str(exc)))
            continue
        seen.add(art.id)
        checked.append(art)
        results.append(KbArticleState(id=art.id))
    with db.writer() as s:
        version = bump_clock(s)
        at = now()
        saved, visible = {}, []
        for state, seen_by_terminals in _save_many(s, checked, user, at, req.publish):
            saved[state.id] = state
            if seen_by_terminals:
                visible.append(state.id)
        changed = any(st.outcome != "unchanged" for st in saved.values()) or visible
        if changed:
            _log(s, version, ARTICLE, visible)
            s.commit()
            cursor = version
        else:
            s.rollback()
            cursor = version - 1
    results = [saved.get(r.id, r) if r.outcome != "rejected" else r for r in results]
    return KbImportResponse(results=results, cursor=cursor)


def import_folder(db: Database, path: Any, user: User, *, publish: bool = True,
                  tz: Any = None) -> tuple[int, list[Problem]]:
    """Save (and publish) every article under `path` (Markdown with front matter, or CSV, read
    by the terminal's importer) straight into the server's database: what `hotline demo` uses
    to hold its article set. Returns (articles saved or unchanged, problems by file and line)."""
    from pathlib import Path

    from models.kb.importer import collect

    articles, problems = [], []
    for name, line, item in collect(Path(path), tz, workers=0):
        if isinstance(item, ArticleInput):
            articles.append(item)
        else:
            problems.append(Problem(name, line, item[0], item[1]))
    with db.writer() as s:
        version = bump_clock(s)
        at = now()
        visible, changed = [], False
        for state, seen in _save_many(s, list({a.id: a for a in articles}.values()), user, at,
                                      publish):
            changed |= state.outcome != "unchanged" or seen
            if seen:
                visible.append(state.id)
        if changed:
            _log(s, version, ARTICLE, visible)
            s.commit()
        else:
            s.rollback()
    return len(articles), problems


def _set_live(db: Database, user: User, article_id: str, *, withdraw: bool) -> KbArticleState:
    with db.writer() as s:
        version = bump_clock(s)
        row = _row(s, article_id)
        if row is None:
            s.rollback()
            raise ApiError(404, "not_found", f"no article {article_id}")
        values = dict(row._mapping)
        if withdraw:
            change = not row.withdrawn
            values.update(withdrawn=True)
        else:
            change = row.withdrawn or row.published_version != row.version
            values.update(withdrawn=False, published_version=row.version)
        if not change:
            s.rollback()
            return _state(values)
        at = now()
        values.update(published_at=at, published_by=user.id)
        s.execute(update(kb_article).where(kb_article.c.id == article_id).values(
            withdrawn=values["withdrawn"], published_version=values["published_version"],
            published_at=at, published_by=user.id))
        _log(s, version, ARTICLE, [article_id] if values["published_version"] else [])
        s.commit()
    return _state(values, "updated")


def publish(db: Database, user: User, article_id: str) -> KbArticleState:
    """Publish the article's latest version (and bring it back if withdrawn); 404 if unknown."""
    return _set_live(db, user, article_id, withdraw=False)


def withdraw(db: Database, user: User, article_id: str) -> KbArticleState:
    """Take the article off every terminal at its next pull; 404 if unknown."""
    return _set_live(db, user, article_id, withdraw=True)


def get_article(db: Database, article_id: str) -> dict[str, Any] | None:
    """The article as the server holds it: latest content, version, published version."""
    with db.reader() as s:
        row = _row(s, article_id)
        return dict(row._mapping) if row else None


def list_articles(db: Database, *, limit: int = 100, offset: int = 0) -> list[KbArticleState]:
    with db.reader() as s:
        return [_state(r) for r in s.execute(
            select(kb_article).order_by(kb_article.c.id).limit(limit).offset(offset))]


# --- phrases --------------------------------------------------------------------------------

def _phrase_key(code: str, lang: str) -> str:
    return f"{lang}:{code}"


def put_phrase(db: Database, user: User, lang: str, code: str, values: KbPhraseIn) -> KbPhraseWire:
    """Add or change a quick phrase (the next version when its text or label changed)."""
    try:
        lang, code = check_lang(lang), check_phrase_code(code)
        text = clean_text(values.text)
        if not text:
            raise BadValue("text", "a phrase needs text", values.text)
    except BadValue as exc:
        raise exc.api_error() from None
    label = clean_text(values.label, multiline=False)
    with db.writer() as s:
        version = bump_clock(s)
        row = s.execute(select(kb_phrase).where(kb_phrase.c.code == code,
                                                kb_phrase.c.lang == lang)).first()
        at = now()
        if row is None:
            out = dict(code=code, lang=lang, label=label or code, text=text, version=1,
                       withdrawn=False, updated_at=at, updated_by=user.id)
            s.execute(insert(kb_phrase).values(**out))
        elif row.text == text and (not label or label == row.label) and not row.withdrawn:
            s.rollback()
            return KbPhraseWire(**{k: v for k, v in row._mapping.items() if k != "updated_by"})
        else:
            out = dict(row._mapping) | dict(label=label or row.label, text=text,
                                            version=row.version + 1, withdrawn=False,
                                            updated_at=at, updated_by=user.id)
            s.execute(update(kb_phrase).where(kb_phrase.c.code == code, kb_phrase.c.lang == lang)
                      .values({k: v for k, v in out.items() if k not in ("code", "lang")}))
        _log(s, version, PHRASE, [_phrase_key(code, lang)])
        s.commit()
    return KbPhraseWire(**{k: v for k, v in out.items() if k != "updated_by"})


def delete_phrase(db: Database, user: User, lang: str, code: str) -> KbPhraseWire:
    """Withdraw a quick phrase (terminals drop it at their next pull); 404 if unknown."""
    try:
        lang, code = check_lang(lang), check_phrase_code(code)
    except BadValue as exc:
        raise exc.api_error() from None
    with db.writer() as s:
        version = bump_clock(s)
        row = s.execute(select(kb_phrase).where(kb_phrase.c.code == code,
                                                kb_phrase.c.lang == lang)).first()
        if row is None:
            s.rollback()
            raise ApiError(404, "not_found", f"no phrase {code} in {lang}")
        out = dict(row._mapping)
        if not row.withdrawn:
            at = now()
            out.update(withdrawn=True, version=row.version + 1, updated_at=at, updated_by=user.id)
            s.execute(update(kb_phrase).where(kb_phrase.c.code == code, kb_phrase.c.lang == lang)
                      .values(withdrawn=True, version=out["version"], updated_at=at,
                              updated_by=user.id))
            _log(s, version, PHRASE, [_phrase_key(code, lang)])
            s.commit()
        else:
            s.rollback()
    return KbPhraseWire(**{k: v for k, v in out.items() if k != "updated_by"})


def list_phrases(db: Database) -> list[KbPhraseWire]:
    with db.reader() as s:
        return [KbPhraseWire(**{k: v for k, v in r._mapping.items() if k != "updated_by"})
                for r in s.execute(select(kb_phrase).order_by(kb_phrase.c.code, kb_phrase.c.lang))]


def seed_phrases(db: Database) -> int:
    """The built-in quick phrases, once, into a server that has none (under the clock's lock,
    so two servers starting at once seed them once); returns how many were added."""
    with db.writer() as s:
        version = bump_clock(s)
        if s.execute(select(kb_phrase.c.code).limit(1)).first() is not None:
            s.rollback()
            return 0
        at = now()
        rows = [dict(code=code, lang=lang, label=label, text=text, version=1, withdrawn=False,
                     updated_at=at, updated_by="")
                for code, label, zh, en in DEFAULTS for lang, text in (("zh", zh), ("en", en))]
        s.execute(insert(kb_phrase), rows)
        _log(s, version, PHRASE, [_phrase_key(r["code"], r["lang"]) for r in rows])
        s.commit()
    return len(rows)


# --- pull -----------------------------------------------------------------------------------

def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return from_db_text(value)


def pulled_articles(s: Session, ids: Select) -> list[KbArticleWire]:
    """The changed articles (ids: a subquery) as terminals get them: the published version's
    content, or withdrawn. Never-published drafts are not sent."""
    rows = s.execute(
        select(kb_article.c.id, kb_article.c.published_version, kb_article.c.withdrawn,
               kb_article.c.published_at, kb_article.c.published_by, kb_revision.c.content)
        .join(kb_revision, (kb_revision.c.article_id == kb_article.c.id)
              & (kb_revision.c.version == kb_article.c.published_version))
        .where(kb_article.c.id.in_(ids), kb_article.c.published_version > 0)
        .order_by(kb_article.c.id))
    out = []
    for r in rows:
        c = r.content
        out.append(KbArticleWire(
            id=r.id, group_id=c.get("group_id") or r.id, lang=c.get("lang", "zh"),
            title=c.get("title", ""), answer=c.get("answer", ""), body=c.get("body", ""),
            category=c.get("category", ""), tags=list(c.get("tags") or []),
            department=c.get("department", ""), valid_from=_time(c.get("valid_from")),
            valid_until=_time(c.get("valid_until")), version=r.published_version,
            withdrawn=bool(r.withdrawn), updated_at=r.published_at, updated_by=r.published_by))
    return out


def pulled_phrases(s: Session, ids: Select) -> list[KbPhraseWire]:
    key = kb_phrase.c.lang + ":" + kb_phrase.c.code
    return [KbPhraseWire(**{k: v for k, v in r._mapping.items() if k != "updated_by"})
            for r in s.execute(select(kb_phrase).where(key.in_(ids))
                               .order_by(kb_phrase.c.code, kb_phrase.c.lang))]


__all__ = ["KbArticleItem", "check_article", "delete_phrase", "get_article", "import_articles",
           "import_folder",
           "list_articles", "list_phrases", "publish", "pulled_articles",
           "pulled_phrases", "put_article", "put_phrase", "seed_phrases", "withdraw"]
