"""`hotline kb import PATH`: articles from a folder of Markdown files or from a CSV.

A Markdown file is one article: YAML front matter between `---` lines, then the body:

    ---
    id: residence-permit            # stable across versions; the file name when absent
    title: 居住证怎么办理
    answer: 持身份证、租房合同到居住地社区服务中心申领……
    category: 户籍
    tags: [居住证, 暂住证]
    department: 公安局
    valid_from: 2026-01-01          # ISO dates, either may be absent
    valid_until: 2026-12-31
    lang: zh                        # zh or en
    translation_of: residence-permit-en   # optional: the article this one translates
    ---
    Markdown body …

A CSV has the same names as columns plus `body` (`tags` separated by `;` or `,`; `id` needed).

A bad file or row is reported by name and line and the rest import. Importing again adds
nothing: an article whose content is the same keeps its version; a changed one gets the next.
Files are read, parsed and written in transactions of `BATCH` articles; the index entries of
what changed follow, once for the whole import (`models.kb.index`).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from models.domain.i18n import t
from models.domain.timeutil import local_zone

from . import index
from .articles import ADDED, LANGS, UNCHANGED, UPDATED, ArticleInput, save_article

BATCH = 2_000  # articles per transaction
INDEX_CHUNK = 50_000  # articles per index transaction
MARKDOWN = (".md", ".markdown")
_TAG_SPLIT = re.compile(r"\s*[;,，；、|]\s*")


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file or row: where (file, line) and what (a `kb.problem.*` key)."""

    file: str
    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return t(f"kb.problem.{self.code}", lang, **self.params)

    def text(self, lang: str = "en") -> str:
        return f"{self.file}:{self.line}: {self.message(lang)}"


class BadArticle(ValueError):
    def __init__(self, line: int, code: str, **params: Any) -> None:
        super().__init__(code)
        self.line, self.code, self.params = line, code, params


@dataclass
class KbImportReport:
    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.problems)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"files": self.files, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "rejected": self.rejected,
                "problems": [{"file": p.file, "line": p.line, "code": p.code,
                              "message": p.message(lang)} for p in self.problems]}


# --- reading ----------------------------------------------------------------------------------
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def _yaml_load(text: str) -> Any:
    """YAML with every scalar left as text (libyaml's base loader when present): dates, ids
    (`0012`), flags and languages are read here, where a bad one is reported on its line."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))  # noqa: S506


def _value(raw: Any) -> Any:
    """A front-matter value with YAML's null spellings as None."""
    return None if isinstance(raw, str) and raw.strip() in _NULLS else raw


def parse_markdown(text: str, name: str, tz: tzinfo | None = None) -> ArticleInput:
    """One article from a Markdown file's text; raises BadArticle (with its line)."""
    import yaml

    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise BadArticle(1, "no_front_matter")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise BadArticle(1, "unclosed_front_matter")
    head = "\n".join(lines[1:end])
    try:
        meta = _yaml_load(head) or {}
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadArticle((mark.line + 2) if mark else 1, "bad_front_matter",
                         error=problem) from None
    if not isinstance(meta, dict):
        raise BadArticle(2, "bad_front_matter", error="not a mapping of names to values")
    body = "\n".join(lines[end + 1:]).strip()

    def line_of(key: str) -> int:
        for i in range(1, end):
            if re.match(rf"\s*{re.escape(key)}\s*:", lines[i]):
                return i + 1
        return 1

    return _article(meta, body, Path(name).stem, line_of, tz)


def _article(meta: dict[str, Any], body: str, default_id: str | None,
             line_of: Callable[[str], int], tz: tzinfo | None) -> ArticleInput:
    meta = {k: _value(v) for k, v in meta.items()}

    def text(key: str) -> str:
        value = meta.get(key)
        return "" if value is None else str(value).strip()

    article_id = text("id") or (default_id or "")
    if not article_id:
        raise BadArticle(line_of("id"), "missing", field="id")
    for key in ("title", "answer"):
        if not text(key):
            raise BadArticle(line_of(key), "missing", field=key)
    lang = _lang(meta.get("lang"), text("title") + text("answer"))
    if lang is None:
        raise BadArticle(line_of("lang"), "bad_lang", value=text("lang"))
    tags = meta.get("tags")
    if tags is None or tags == "":
        tags = []
    elif isinstance(tags, str):
        tags = [x for x in _TAG_SPLIT.split(tags) if x]
    elif isinstance(tags, list):
        tags = [x for x in (_value(x) for x in tags) if x is not None]
    else:
        raise BadArticle(line_of("tags"), "bad_tags")
    zone = tz or local_zone()
    bounds = {}
    for key, end in (("valid_from", False), ("valid_until", True)):
        try:
            bounds[key] = parse_bound(meta.get(key), end=end, tz=zone)
        except ValueError:
            raise BadArticle(line_of(key), "bad_date", field=key, value=text(key)) from None
    if bounds["valid_from"] and bounds["valid_until"] and bounds["valid_until"] < bounds["valid_from"]:
        raise BadArticle(line_of("valid_until"), "bad_range", start=text("valid_from"),
                         until=text("valid_until"))
    withdrawn = meta.get("withdrawn")
    if tags and not all(isinstance(t, str) for t in tags):
        raise BadArticle(line_of("tags"), "bad_tags")
    return ArticleInput(
        id=article_id, title=text("title"), answer=text("answer"), lang=lang, body=body,
        category=text("category"), tags=tags, department=text("department"),
        valid_from=bounds["valid_from"], valid_until=bounds["valid_until"],
        group_id=text("translation_of") or text("group"),
        withdrawn=withdrawn is True or str(withdrawn).strip().lower() in ("true", "yes", "1"))


# Which named value a problem is about (`missing` and `bad_date` carry their own `field`).
_PROBLEM_FIELD = {"bad_lang": "lang", "bad_range": "valid_until", "bad_tags": "tags"}


def problem_field(exc: BadArticle) -> str:
    """The name of the value a BadArticle is about (`title`, `valid_until`, ...)."""
    return str(exc.params.get("field") or _PROBLEM_FIELD.get(exc.code, "id"))


def article_from_fields(article_id: str, fields: dict[str, Any],
                        tz: tzinfo | None = None) -> ArticleInput:
    """One article from named values (the central server's API): the same checks as a file's
    front matter; raises BadArticle (`problem_field` names the value at fault). `withdrawn` is
    not taken from the values (withdrawing is its own step)."""
    meta = {k: v for k, v in fields.items() if k not in ("withdrawn", "body", "id")}
    meta["id"] = article_id
    body = fields.get("body") or ""
    return _article(meta, str(body).strip(), None, lambda _key: 1, tz)


def _lang(raw: Any, sample: str) -> str | None:
    if raw is None or str(raw).strip() == "":
        return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in sample) else "en"
    value = str(raw).strip().lower().replace("_", "-")
    for lang in LANGS:
        if value == lang or value.startswith(lang + "-") or (lang == "zh" and value in ("cn", "中文")):
            return lang
    return None


def parse_bound(raw: Any, *, end: bool, tz: tzinfo) -> datetime | None:
    """A validity bound: a date means its whole day in `tz` (from its start, until its end)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime.combine(raw, time.max if end else time.min)
    else:
        text = str(raw).strip()
        if len(text) == 10:
            value = datetime.combine(date.fromisoformat(text), time.max if end else time.min)
        else:
            value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def read_csv(path: Path, tz: tzinfo | None = None) -> Iterator[tuple[int, ArticleInput | BadArticle]]:
    """(line, article or problem) for each row of an article CSV."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        if not {"id", "title", "answer"} <= set(columns):
            yield 1, BadArticle(1, "no_columns", columns=", ".join(columns) or "-")
            return
        reader.fieldnames = columns
        line = reader.line_num + 1
        for row in reader:
            meta = {k: v for k, v in row.items() if k}
            try:
                art = _article(meta, (meta.get("body") or "").strip(), None,
                               lambda _key, at=line: at, tz)
            except BadArticle as exc:
                yield line, exc
            else:
                yield line, art
            line = reader.line_num + 1


def _sources(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN + (".csv",)
                  and p.is_file())


def _read_markdown(file: Path, shown: str, tz: tzinfo | None) -> tuple[str, int, Any]:
    """(shown name, line, article) or (shown name, line, (code, params)) for a problem: plain
    data, so that it can come back from a worker process."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return shown, 1, ("unreadable", {"error": str(exc)})
    try:
        return shown, 1, parse_markdown(text, file.name, tz)
    except BadArticle as exc:
        return shown, exc.line, (exc.code, exc.params)


def _read_chunk(chunk: list[tuple[Path, str]], tz: tzinfo | None) -> list[tuple[str, int, Any]]:
    return [_read_markdown(file, shown, tz) for file, shown in chunk]


PARALLEL_FROM = 2_000  # Markdown files: from this many, a second process parses while we write
CHUNK_FILES = 250


def collect(path: Path, tz: tzinfo | None = None, *,
            workers: int | None = None) -> Iterator[tuple[str, int, Any]]:
    """(file name, line, article or (problem code, params)) for everything under `path`, in
    file order. A big folder is parsed by `workers` forked processes (default: one more than
    this one, where the machine has a second core), while the caller writes what came back."""
    files = _sources(path)
    named = [(f, str(f.relative_to(path)) if path.is_dir() else f.name) for f in files]
    markdown = [x for x in named if x[0].suffix.lower() != ".csv"]
    if workers is None:
        workers = 1 if len(markdown) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 0
    parsed: Iterator[list[tuple[str, int, Any]]] = iter(())
    pool = None
    if workers and markdown:
        import multiprocessing
        from functools import partial

        pool = multiprocessing.get_context("fork").Pool(workers)
        chunks = [markdown[i:i + CHUNK_FILES] for i in range(0, len(markdown), CHUNK_FILES)]
        parsed = pool.imap(partial(_read_chunk, tz=tz), chunks)
    try:
        waiting: list[tuple[str, int, Any]] = []
        for file, shown in named:
            if file.suffix.lower() == ".csv":
                for line, item in read_csv(file, tz):
                    yield shown, line, (item if isinstance(item, ArticleInput)
                                        else (item.code, item.params))
                continue
            if pool is None:
                yield _read_markdown(file, shown, tz)
                continue
            if not waiting:
                waiting = list(next(parsed))[::-1]
            yield waiting.pop()
    finally:
        if pool is not None:
            pool.terminate()


def import_articles(store, path: Path | str, *, tz: tzinfo | None = None, source: str = "",
                    by: str = "", progress: Callable[[int, int], None] | None = None,
                    at: datetime | None = None, workers: int | None = None) -> KbImportReport:
    """Import every article under `path` (a folder, a Markdown file or a CSV) into `store`."""
    path = Path(path)
    report = KbImportReport()
    total = len(_sources(path))
    seen: dict[str, str] = {}
    batch: list[tuple[ArticleInput, str]] = []
    changed: list[str] = []
    files_done = 0
    last_file = None
    with store.raw() as conn:
        for name, line, item in collect(path, tz, workers=workers):
            if name != last_file:
                files_done += 1
                last_file = name
            if not isinstance(item, ArticleInput):
                report.problems.append(Problem(name, line, item[0], item[1]))
                continue
            where = f"{name}:{line}" if name.endswith(".csv") else name
            if item.id in seen:
                report.problems.append(Problem(name, line, "duplicate_id",
                                               {"id": item.id, "other": seen[item.id]}))
                continue
            seen[item.id] = where
            batch.append((item, source or name))
            if len(batch) >= BATCH:
                changed += _write(conn, batch, report, by, at)
                batch = []
                if progress:
                    progress(files_done, total)
        changed += _write(conn, batch, report, by, at)
        if progress:
            progress(files_done, total)
        _index(conn, changed)
    report.files = total
    return report


def _write(conn, batch: list[tuple[ArticleInput, str]], report: KbImportReport, by: str,
           at: datetime | None) -> list[str]:
    """One transaction of articles; returns the ids that changed."""
    changed = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for art, source in batch:
            outcome, _ = save_article(conn, art, source=source, by=by, at=at)
            if outcome == ADDED:
                report.added += 1
            elif outcome == UPDATED:
                report.updated += 1
            else:
                report.unchanged += 1
            if outcome != UNCHANGED:
                changed.append(art.id)
            report.ids.append(art.id)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return changed


def _index(conn, changed: list[str]) -> None:
    """The changed articles' index entries, once for the whole import (a term's postings are
    rewritten once, not once per batch). Until this commits, the change counter says the index
    is behind, and a search in the meantime catches up by itself."""
    for i in range(0, len(changed), INDEX_CHUNK):
        conn.execute("BEGIN IMMEDIATE")
        try:
            index.update(conn, changed[i:i + INDEX_CHUNK])
            if i + INDEX_CHUNK >= len(changed):
                index.catch_up_in(conn)  # anything else written meanwhile, then mark it
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


__all__ = ["ADDED", "UPDATED", "BadArticle", "KbImportReport", "Problem", "article_from_fields",
           "import_articles", "parse_markdown", "problem_field"]
