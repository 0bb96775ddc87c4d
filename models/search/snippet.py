"""A short piece of a case's text around what matched the query, with the matching spans.

Returned as data (text + character spans), never as markup: the text is caller text and each
front end highlights the spans its own way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .normalise import STOPWORDS, TOKEN_RE, normalise, word_form


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in `text`

    def matched(self) -> list[str]:
        return [self.text[a:b] for a, b in self.spans]


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index it came from."""
    norm = normalise(text)
    if len(norm) == len(text):
        return norm, list(range(len(text)))
    out, origin = [], []
    for i, ch in enumerate(text):
        n = normalise(unicodedata.normalize("NFKC", ch))
        out.append(n)
        origin.extend([i] * len(n))
    return "".join(out), origin


def match_spans(text: str, query_terms: set[str]) -> list[tuple[int, int]]:
    """Character spans of `text` where a query term occurs, merged where they touch."""
    norm, origin = _normalised_with_map(text)
    spans: list[tuple[int, int]] = []
    for m in TOKEN_RE.finditer(norm):
        run, start = m.group(), m.start()
        if run[0] >= "\u3400":
            if len(run) == 1:
                if run in query_terms:
                    spans.append((start, start + 1))
                continue
            for i in range(len(run) - 1):
                if run[i:i + 2] in query_terms:
                    spans.append((start + i, start + i + 2))
        elif run not in STOPWORDS and word_form(run) in query_terms:
            spans.append((start, m.end()))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return [(origin[a], origin[b - 1] + 1) for a, b in merged]


def make_snippet(text: str, query_terms: set[str], width: int = 60) -> Snippet:
    """The `width`-character window of `text` with the most matched characters."""
    flat = re.sub(r"\s+", " ", text).strip()
    spans = match_spans(flat, query_terms) if query_terms else []
    if len(flat) <= width:
        return Snippet(flat, spans)
    best_start, best = 0, -1
    j, covered = 0, 0  # spans[i:j] start inside the window; `covered` sums their lengths
    for i, (a, _) in enumerate(spans):  # windows starting a little before each match
        start = max(0, min(a - 8, len(flat) - width))
        while j < len(spans) and spans[j][0] < start + width:
            covered += spans[j][1] - spans[j][0]
            j += 1
        if covered > best:
            best_start, best = start, covered
        covered -= spans[i][1] - spans[i][0]
    end = best_start + width
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    shift = len(prefix) - best_start
    # Only matches the window shows whole: one cut at its edge ("…wal") names no word.
    kept = [(a + shift, b + shift) for a, b in spans if a >= best_start and b <= end]
    return Snippet(prefix + flat[best_start:end] + suffix, kept)
