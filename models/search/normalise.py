"""Text normalisation and tokenisation shared by the index and the query.

Both sides go through exactly the same steps, so a word matches however it was typed:
full-width or half-width (NFKC), Traditional or Simplified Chinese (a character table taken
from zhconv), upper or lower case, with or without a plural or -ing ending.

Chinese is not split into words: every run of Han characters yields its overlapping character
bigrams (路灯不亮 → 路灯 灯不 不亮), so any two-character word inside it matches with no
dictionary. A lone Han character is kept as a unigram. Latin words and numbers are words.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from models.domain.words import STOPWORDS, STREET_TYPES

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN_RE = re.compile(rf"[{HAN}]+|[a-z0-9]+")
_HAN_RE = re.compile(rf"[{HAN}]")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")

# Street-name abbreviations: one spelling for "AVE"/"Avenue", "ST"/"Street" (addresses and text).
ABBREVIATIONS = {
    **STREET_TYPES,
    "n": "north", "s": "south", "e": "east", "w": "west",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
}


@cache
def _t2s() -> tuple[re.Pattern[str], dict[int, str]]:
    """Traditional → Simplified, character by character, from zhconv's conversion tables, and a
    pattern that finds whether a text has any such character (most text has none)."""
    from importlib.util import find_spec

    # The table's file, found without importing zhconv (whose import costs 0.4 s: pkg_resources).
    path = Path(find_spec("zhconv").origin).with_name("zhcdict.json")
    table = json.loads(path.read_text(encoding="utf-8"))["zh2Hans"]
    chars = {k: v for k, v in table.items() if len(k) == 1 and len(v) == 1 and k != v
             and _HAN_RE.match(k)}
    return re.compile("[" + "".join(sorted(chars)) + "]"), {ord(k): v for k, v in chars.items()}


def normalise(text: str) -> str:
    """NFKC, lower case, Simplified Chinese: the form every comparison is made in."""
    if not text:
        return ""
    text = nfkc(text).lower()
    traditional, table = _t2s()
    return text.translate(table) if traditional.search(text) else text


def nfkc(text: str) -> str:
    """unicodedata's NFKC, faster for a long text (`_narrowed` first)."""
    return unicodedata.normalize("NFKC", _narrowed(text) if len(text) >= 512 else text)


def _narrowed(text: str) -> str:
    """A long text (a chunk of an import) with each character whose NFKC form is one character
    replaced by that form, in numpy: NFKC of the result is NFKC of the text (it decomposes
    both to the same), and is cheap when nothing else needs it (full-width punctuation is
    most of what Chinese text needs; NFKC of a whole chunk costs about 5 µs per case)."""
    import numpy as np

    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    bmp = cp < 0x10000
    table = _nfkc_table()
    mapped = np.where(bmp, table[np.where(bmp, cp, 0)], cp)
    if np.array_equal(mapped, cp):
        return text
    return mapped.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


@cache
def _nfkc_table():
    """Each BMP character's NFKC form where that is one character (itself otherwise)."""
    import numpy as np

    table = np.arange(0x10000, dtype=np.uint32)
    codes = np.concatenate([np.arange(1, 0xD800), np.arange(0xE000, 0x10000)])  # no surrogates
    chars = codes.astype(np.uint32).tobytes().decode("utf-32-le")
    # One call for all: NUL is a starter that composes with nothing, so each form stays apart.
    forms = unicodedata.normalize("NFKC", "\x00".join(chars)).split("\x00")
    lengths = np.fromiter(map(len, forms), dtype=np.int64, count=len(forms))
    flat = np.frombuffer("".join(forms).encode("utf-32-le"), dtype=np.uint32)
    one = lengths == 1
    table[codes[one]] = flat[(np.cumsum(lengths) - lengths)[one]]
    return table


def stem(word: str) -> str:
    """A light English stemmer: plurals, -ing and -ed (lights → light, parked → park)."""
    if len(word) <= 3 or word.isdigit():
        return word
    m = _ORDINAL.match(word)
    if m:
        return m.group(1)
    word = ABBREVIATIONS.get(word, word)
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # running → run, but keep "fill", "pass"
            return base
    return word


@lru_cache(maxsize=200_000)
def word_form(word: str) -> str:
    """The indexed form of one Latin word or number (after `normalise`); cached: words repeat."""
    if len(word) <= 4 and word[0].isdigit():
        m = _ORDINAL.match(word)
        return m.group(1) if m else word
    if len(word) <= 3:
        return ABBREVIATIONS.get(word, word)
    return stem(word)


_BIGRAM_RE = re.compile(rf"(?=([{HAN}]{{2}}))")  # overlapping: every bigram of every run
_LONE_HAN_RE = re.compile(rf"(?<![{HAN}])[{HAN}](?![{HAN}])")
_WORD_RE = re.compile(r"[a-z0-9]+")


def terms_of_normalised(norm: str) -> list[str]:
    """The terms of text already passed through `normalise` (with repeats, in no set order)."""
    out = _BIGRAM_RE.findall(norm)
    out += _LONE_HAN_RE.findall(norm)
    out += [word_form(w) for w in _WORD_RE.findall(norm) if w not in STOPWORDS]
    return out


def terms(text: str) -> list[str]:
    """The search terms of a text, with repeats (term frequency matters)."""
    return terms_of_normalised(normalise(text))
