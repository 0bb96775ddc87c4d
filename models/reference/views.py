"""Reference data as the intake form shows it: category choices and department labels."""

from __future__ import annotations

from sqlmodel import select

from models.store import Store
from models.store.tables import Category, Department

from .catalogue import category_label, department_label


def category_choices(store: Store, lang: str) -> list[tuple[str, str]]:
    """(label, code) in catalogue order: each group, then its members indented under it."""
    with store.session() as s:
        cats = list(s.exec(select(Category).where(Category.source == "catalogue")).all())
    out: list[tuple[str, str]] = []
    for parent in (c for c in cats if not c.parent):
        out.append((category_label(parent, lang), parent.code))
        out.extend(("  " + category_label(child, lang), child.code)
                   for child in cats if child.parent == parent.code)
    return out


def department_labels(store: Store, lang: str) -> dict[str, str]:
    """Each department's name in `lang`, the names imports hold for a lead included (their
    cases carry an `imp:` code, which is no name to show)."""
    with store.session() as s:  # one connection, one snapshot for both
        held = dict(s.connection().exec_driver_sql(
            "SELECT code, name FROM pending_department").all())
        return held | {d.code: department_label(d, lang) for d in s.exec(select(Department)).all()}


def departments(store: Store) -> list[Department]:
    """Every department, catalogue and imported, for the picker."""
    with store.session() as s:
        return list(s.exec(select(Department)).all())


def category_due_days(store: Store) -> dict[str, int]:
    with store.session() as s:
        return {c.code: c.due_days for c in s.exec(select(Category)).all()}
