"""Reference data: the department catalogue and the category tree, from an editable TOML file.

Loading is an upsert: a city's edits replace the catalogue rows, while departments and categories
that imported history added (source = "import") stay. A store that runs on the built-in file
gains the aliases a newer release adds to it (`ensure_catalogue`); one loaded from a city's own
file is left as the city wrote it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from importlib import resources
from pathlib import Path

from sqlmodel import Session, select

from models.store.tables import Category, Department, Meta

DEFAULT_FILE = "catalogue.toml"
# Meta key: the digest of the built-in file whose aliases the store holds, or CUSTOM once a
# city's own file was loaded (its aliases are the city's to change).
BUILTIN_MARK = "catalogue_builtin"
CUSTOM = "custom"


class CatalogueError(ValueError):
    pass


def read_catalogue(path: Path | None = None) -> tuple[list[Department], list[Category]]:
    if path is None:
        raw = resources.files("models.reference").joinpath(DEFAULT_FILE).read_text("utf-8")
        where = DEFAULT_FILE
    else:
        raw, where = Path(path).read_text("utf-8"), str(path)
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{where}: {exc}") from exc
    try:
        departments = [Department(**d) for d in data.get("department", [])]
        categories = [Category(**c) for c in data.get("category", [])]
    except TypeError as exc:
        raise CatalogueError(f"{where}: {exc}") from exc
    codes = {c.code for c in categories}
    for dept in departments:
        unknown = [c for c in dept.categories if c not in codes]
        if unknown:
            raise CatalogueError(f"{where}: department {dept.code} names unknown categories {unknown}")
    return departments, categories


def load_catalogue(session: Session, path: Path | None = None) -> tuple[int, int]:
    departments, categories = read_catalogue(path)
    for row in [*departments, *categories]:
        session.merge(row)
    session.merge(Meta(key=BUILTIN_MARK, value=_builtin_digest() if path is None else CUSTOM))
    session.commit()
    return len(departments), len(categories)


def ensure_catalogue(session: Session) -> bool:
    """Load the default catalogue into a store that has none yet; into one that runs on the
    built-in file, merge the aliases a newer built-in file added (`merge_builtin_aliases`).
    Returns whether the catalogue changed (a router made before should read it again)."""
    if session.exec(select(Department).where(Department.source == "catalogue").limit(1)).first() is None:
        load_catalogue(session)
        return True
    mark = session.get(Meta, BUILTIN_MARK)
    if mark is None or mark.value not in (CUSTOM, _builtin_digest()):
        return merge_builtin_aliases(session) > 0
    return False


def merge_builtin_aliases(session: Session) -> int:
    """Add to each catalogue row the aliases the built-in file gives it and it lacks, and mark
    the store as holding this file's aliases. Returns how many rows gained some. A store made
    before the mark existed is merged too: adding aliases loses nothing a city wrote."""
    gained = merge_aliases(session, *read_catalogue())
    session.merge(Meta(key=BUILTIN_MARK, value=_builtin_digest()))
    session.commit()
    return len(gained)


def merge_aliases(session, departments: list[Department],
                  categories: list[Category]) -> list[tuple[str, str]]:
    """The aliases of `departments` and `categories` (the built-in file's) that the session's
    catalogue rows lack, added (callers' words such as 自来水 or "no heat", which the routing
    engine looks for in a text). Only aliases: names, owners and aliases a lead added stay, and
    rows that imports added are not touched. Returns the (table, code) of the rows changed; the
    caller commits (a terminal's store and the server's database both use it)."""
    changed: list[tuple[str, str]] = []
    for entity, table, rows in (("department", Department, departments),
                                ("category", Category, categories)):
        for new in rows:
            have = session.get(table, new.code)
            if have is None or have.source != "catalogue":
                continue
            missing = [a for a in new.aliases if a not in have.aliases]
            if missing:
                have.aliases = [*have.aliases, *missing]  # a new list: the JSON column sees it
                session.add(have)
                changed.append((entity, new.code))
    return changed


def _builtin_digest() -> str:
    raw = resources.files("models.reference").joinpath(DEFAULT_FILE).read_bytes()
    return hashlib.sha256(raw).hexdigest()[:16]


def department_code_for(name: str) -> str:
    """A stable code for a department first seen by name in imported data."""
    slug = re.sub(r"\s+", "_", name.strip().lower())
    return "imp:" + slug


def department_from_import(name: str) -> Department:
    has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in name)
    return Department(
        code=department_code_for(name),
        name_zh=name if has_cjk else "",
        name_en="" if has_cjk else name,
        source="import",
    )


def department_label(dept: Department, lang: str) -> str:
    if lang == "zh":
        return dept.name_zh or dept.name_en or dept.code
    return dept.name_en or dept.name_zh or dept.code


def category_label(cat: Category, lang: str) -> str:
    if lang == "zh":
        return cat.name_zh or cat.name_en or cat.code
    return cat.name_en or cat.name_zh or cat.code


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def resolve_department(session: Session, text: str) -> Department | None:
    """By code, Chinese or English name, or alias, ignoring case and spacing."""
    key = _norm(text)
    if not key:
        return None
    for dept in session.exec(select(Department)).all():
        names = [dept.code, dept.name_zh, dept.name_en, *dept.aliases]
        if key in (_norm(n) for n in names if n):
            return dept
    return None


def resolve_category(session: Session, text: str) -> Category | None:
    key = _norm(text)
    if not key:
        return None
    for cat in session.exec(select(Category)).all():
        names = [cat.code, cat.name_zh, cat.name_en, *cat.aliases]
        if key in (_norm(n) for n in names if n):
            return cat
    return None


class SessionCatalogue:
    """The catalogue as validation reads it (`models.domain.validation.CatalogueLookup`), from
    a session on the terminal's store or on the server's database."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def category(self, text: str) -> tuple[str, int] | None:
        cat = resolve_category(self.session, text)
        return (cat.code, cat.due_days) if cat is not None else None

    def department(self, text: str) -> str | None:
        dept = resolve_department(self.session, text)
        return dept.code if dept is not None else None
