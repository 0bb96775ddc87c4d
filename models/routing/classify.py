"""Scoring a text against the learned centroids: weighted cosine, reading only what the text needs.

A query reads the weights of its own tokens, keeps the most telling ones (`TOP_TOKENS`: common
characters weigh ~0 and would only cost time), then reads those tokens' per-label counts. With a
million cases of history that is a few hundred index lookups, whatever the history's size.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter

TOP_TOKENS = 128
MAX_QUERY_TOKENS = 900  # bound on SQL parameters for a very long message


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


def score_labels(conn: sqlite3.Connection, model: str, counts: Counter[str],
                 norms: dict[str, float]) -> dict[str, float]:
    """Cosine of the text with each label's centroid (labels the text shares nothing with omitted)."""
    if not counts or not norms:
        return {}
    keys = list(counts)[:MAX_QUERY_TOKENS]
    weights = dict(conn.execute(
        f"SELECT token, weight FROM token WHERE model = ? AND token IN ({_placeholders(len(keys))})",
        (model, *keys)).fetchall())
    query = {t: (1.0 + math.log(counts[t])) * w for t, w in weights.items() if w > 0}
    if not query:
        return {}
    qnorm = math.sqrt(sum(v * v for v in query.values()))
    top = sorted(query, key=query.__getitem__, reverse=True)[:TOP_TOKENS]
    scores: dict[str, float] = {}
    rows = conn.execute(
        f"SELECT token, label, mass FROM term WHERE model = ? AND token IN ({_placeholders(len(top))})",
        (model, *top))
    for token, label, mass in rows:
        scores[label] = scores.get(label, 0.0) + query[token] * weights[token] * mass
    return {lab: s / (qnorm * norms[lab]) for lab, s in scores.items() if norms.get(lab)}
