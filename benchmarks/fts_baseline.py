"""The baseline the search is measured against: SQLite FTS5 with the trigram tokenizer, BM25 over
title, description and address. Built in the same store file, from the same case rows.

The query is every trigram of the query text and address, OR-ed (trigram FTS matches substrings
of three characters or more, so Chinese needs no segmenter), ranked by bm25().
"""

from __future__ import annotations

import re
import sqlite3

MAX_TRIGRAMS = 200  # a long complaint still makes a query FTS5 answers in reasonable time


def build(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE IF EXISTS baseline_fts")
    conn.execute("CREATE VIRTUAL TABLE baseline_fts USING fts5(title, description, address, "
                 "tokenize='trigram')")
    conn.execute("BEGIN")
    conn.execute('INSERT INTO baseline_fts (rowid, title, description, address) '
                 'SELECT rowid, title, description, address FROM "case"')
    conn.execute("COMMIT")


def match_expression(text: str) -> str:
    grams: dict[str, None] = {}
    for part in re.split(r"\s+", text.lower()):
        for i in range(len(part) - 2):
            gram = part[i:i + 3]
            if '"' not in gram:
                grams[gram] = None
    return " OR ".join(f'"{g}"' for g in list(grams)[:MAX_TRIGRAMS])


def search(conn: sqlite3.Connection, text: str, address: str = "", limit: int = 10,
           exclude: frozenset[str] = frozenset()) -> list[str]:
    """External ids (or case numbers) of the best `limit` cases, best first."""
    expr = match_expression(f"{text} {address}")
    if not expr:
        return []
    rows = conn.execute(
        'SELECT coalesce(c.external_id, c.case_no) FROM baseline_fts JOIN "case" c '
        "ON c.rowid = baseline_fts.rowid WHERE baseline_fts MATCH ? ORDER BY bm25(baseline_fts) "
        "LIMIT ?", (expr, limit + len(exclude))).fetchall()
    ids = [r[0] for r in rows if r[0] not in exclude]
    return ids[:limit]


def size(conn: sqlite3.Connection) -> int:
    try:
        row = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'baseline_fts%'").fetchone()
        return int(row[0] or 0)
    except sqlite3.OperationalError:
        return 0
