"""The demo article set (`models/kb/demo/`, Chinese and English, drawn from the seed article's
topics: hornet nests on roads and in compounds, dark street lights, prepaid cards, cooking fumes,
illegal construction, septic tanks, owners' committees; and the hotline's everyday questions:
heating, residence permits, social security cards, bulky items, property tax, noise, parking …).
Three of them show what validity means: the 2024 heating subsidy has expired, the 2027 prepaid
card rules are not yet in force, the heating season is dated."""

from __future__ import annotations

from pathlib import Path

from .importer import KbImportReport, import_articles
from .phrases import ensure_default_phrases

DEMO_ARTICLES = Path(__file__).with_name("demo")


def seed_demo_articles(store) -> KbImportReport:
    """Import the demo articles and the built-in quick phrases (again: adds nothing)."""
    report = import_articles(store, DEMO_ARTICLES, source="demo", by="demo")
    with store.raw() as conn:
        conn.execute("BEGIN IMMEDIATE")
        ensure_default_phrases(conn)
        conn.execute("COMMIT")
    return report
