"""Text to features for routing: Chinese characters and character bigrams, English word stems.

Chinese is written without spaces, and a segmenter would be a heavy, domain-sensitive dependency:
character bigrams carry the topic ("马蜂", "蜂窝", "路灯"); a lone character stands for itself.
English is case-folded and crudely stemmed (lights → light, parking → park), function words are
left out, and adjacent words pair up ("next door" is not a door).
Digits are dropped: house numbers and dates say nothing about who owns a problem.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from operator import add

from models.domain.words import STOPWORDS

LEARN_CHARS = 800  # title + the start of a long message carry its topic; caps learning cost

_RUN = re.compile(r"[\u3400-\u9fff]+|[a-z][a-z']*")
# Characters NFKC leaves as they are, or turns into other characters that are no part of a
# feature (，→ , and 　→ space part runs as they did): a text of these alone is read without
# NFKC, which cost a bench case 1.7 µs of its learning's 14 (the test checks the list).
PLAIN_PUNCTUATION = "，。！？：；（）、“”‘’《》【】—…·～「」『』　％＃＠＆＊＋－／＝＜＞［］｛｝｜￥"
_NEEDS_NFKC = re.compile(f"[^\x00-\x7f\u3400-\u9fff{re.escape(PLAIN_PUNCTUATION)}]")
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    word = word.replace("'", "")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


@lru_cache(maxsize=262144)
def _run_features(run: str) -> tuple[str, ...]:
    """Features of one run of Chinese characters or one English word (runs repeat a lot)."""
    if run[0] >= "\u3400":
        if len(run) == 1:
            return (run,)
        return tuple(map(add, run[:-1], run[1:]))  # each pair of neighbours (made in C)
    return (stem(run),) if len(run) > 1 else ()


def tokens(text: str) -> list[str]:
    """Features of a text, repeated as often as they occur: English word stems without the
    function words, and each pair of adjacent English words ("loud music", "next door"), as
    Chinese has its character pairs."""
    out: list[str] = []
    prev = ""  # the English word just before, for the pairs
    if _NEEDS_NFKC.search(text):
        text = unicodedata.normalize("NFKC", text)
    for run in _RUN.findall(text.lower()):
        if run[0] >= "\u3400":
            out.extend(_run_features(run))
            prev = ""
        elif run in STOPWORDS:
            prev = ""
        elif features := _run_features(run):
            out.append(features[0])
            if prev:
                out.append(f"{prev} {features[0]}")
            prev = features[0]
    return out


def learning_text(title: str, description: str) -> str:
    """What a past case teaches from: its subject line and the start of what was said."""
    if title and description.startswith(title):
        title = ""
    return f"{title}\n{description[:LEARN_CHARS]}" if title else description[:LEARN_CHARS]


def has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)
