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
_LOADER = None


def _yaml_load(text: str) -> Any:
    """Safe YAML (libyaml when present), dates left as text: they are read here, so that a
    bad one is reported as a bad date on its line."""
    global _LOADER
    import yaml

    if _LOADER is None:
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        _LOADER = type("FrontMatterLoader", (base,), {})
        _LOADER.yaml_implicit_resolvers = {
            first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
            for first, resolvers in base.yaml_implicit_resolvers.items()}
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)


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
        tags = [str(x) for x in tags if x is not None]
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
    return ArticleInput(
        id=article_id, title=text("title"), answer=text("answer"), lang=lang, body=body,
        category=text("category"), tags=tags, department=text("department"),
        valid_from=bounds["valid_from"], valid_until=bounds["valid_until"],
        group_id=text("translation_of") or text("group"),
        withdrawn=withdrawn is True or str(withdrawn).strip().lower() in ("true", "yes", "1"))


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


def collect(path: Path, tz: tzinfo | None = None) -> Iterator[tuple[str, int, ArticleInput | BadArticle]]:
    """(file name, line, article or problem) for everything under `path`."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in MARKDOWN + (".csv",)
                       and p.is_file())
    else:
        files = [path]
    for file in files:
        shown = str(file.relative_to(path)) if path.is_dir() else file.name
        if file.suffix.lower() == ".csv":
            for line, item in read_csv(file, tz):
                yield shown, line, item
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            yield shown, 1, BadArticle(1, "unreadable", error=str(exc))
            continue
        try:
            yield shown, 1, parse_markdown(text, file.name, tz)
        except BadArticle as exc:
            yield shown, exc.line, exc


def count_sources(path: Path) -> int:
    if not path.is_dir():
        return 1
    return sum(1 for p in path.rglob("*") if p.suffix.lower() in MARKDOWN + (".csv",))


def import_articles(store, path: Path | str, *, tz: tzinfo | None = None, source: str = "",
                    by: str = "", progress: Callable[[int, int], None] | None = None,
                    at: datetime | None = None) -> KbImportReport:
    """Import every article under `path` (a folder, a Markdown file or a CSV) into `store`."""
    path = Path(path)
    report = KbImportReport()
    total = count_sources(path)
    seen: dict[str, str] = {}
    batch: list[tuple[ArticleInput, str]] = []
    changed: list[str] = []
    files_done = 0
    last_file = None
    with store.raw() as conn:
        for name, line, item in collect(path, tz):
            if name != last_file:
                files_done += 1
                last_file = name
            if isinstance(item, BadArticle):
                report.problems.append(Problem(name, item.line, item.code, item.params))
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


__all__ = ["ADDED", "UPDATED", "BadArticle", "KbImportReport", "Problem", "import_articles",
           "parse_markdown"]
