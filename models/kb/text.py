"""How an article's and a question's words become search terms.

On top of the similar-case search's normalisation (`models.search.normalise`: NFKC, Traditional
→ Simplified, lower case, Chinese character bigrams, English stems), the knowledge base adds:

- `py:` terms, toneless pinyin of adjacent Chinese characters (居住证 → py:ju|zhu, py:zhu|zheng),
  so a homophone typo a caller's words come in with (居住正, 社宝卡) still meets the article;
- `pi:` terms, pinyin initials of a title (居住证办理 → pi:jz, pi:jzz ...), so an agent can type
  `jzz` to find it.

Pinyin for `py:` is each character's first reading from pypinyin's table: the same on both
sides, which is all matching needs, and fast enough for thousands of files a second. Initials
come from every reading of a character (行: x or h), since agents type the real ones and a
phrase decides which that is (`models.routing.pinyin` does it phrase by phrase, but at a third
of a millisecond per title: too slow for an import of ten thousand).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from models.search.normalise import HAN, normalise, terms_of_normalised, word_form

PINYIN, INITIALS, CHAR = "py:", "pi:", "u:"
# Characters that say nothing on their own.
_STOP_CHARS = frozenset("的了是在有我你他她它们这那个吗呢吧啊和与及或等要能会可就都也还很么什怎啥哪谁请问想")
_HAN_RUN = re.compile(f"[{HAN}]+")
_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")
_WORD = re.compile(r"[a-z0-9]+")


def _readings() -> dict[int, str]:
    """pypinyin's character table (code point → readings), read from its file without importing
    the package: `import pypinyin` also loads its phrase dictionary, 50 MB this does not need."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("pypinyin")
    if spec is not None and spec.origin:
        path = Path(spec.origin).with_name("pinyin_dict.py")
        loader = importlib.util.spec_from_file_location("_kb_pinyin_dict", path)
        if loader is not None and loader.loader is not None:
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
            return module.pinyin_dict
    from pypinyin.pinyin_dict import pinyin_dict  # pragma: no cover (an unusual install)

    return pinyin_dict


@cache
def _pinyin_table() -> dict[str, str]:
    return {chr(code): readings.split(",")[0].translate(_TONES)
            for code, readings in _readings().items()}


def syllables(run: str) -> list[str]:
    table = _pinyin_table()
    return [table.get(ch, ch) for ch in run]


def pinyin_terms(norm: str) -> list[str]:
    """`py:` terms of normalised text: toneless pinyin of each pair of adjacent characters."""
    out = []
    for run in _HAN_RUN.findall(norm):
        sy = syllables(run)
        out += [f"{PINYIN}{a}|{b}" for a, b in zip(sy, sy[1:], strict=False)]
    return out


def char_terms(norm: str) -> list[str]:
    """`u:` terms: single Chinese characters, so 大坑 still meets 坑洞 and 暖气 meets 供暖."""
    return [CHAR + ch for run in _HAN_RUN.findall(norm) for ch in run if ch not in _STOP_CHARS]


def pinyin_line(norm: str) -> str:
    """The text's Chinese as spaced toneless pinyin (' ju zhu zheng '), to find a lexicon
    phrase however its characters were mistyped."""
    return " " + " | ".join(" ".join(syllables(r)) for r in _HAN_RUN.findall(norm)) + " "


@cache
def _initials_table() -> dict[str, str]:
    """Each character's possible pinyin initials, every reading (行: "xh"), so that an agent's
    initials meet a title whatever reading its phrase takes."""
    out = {}
    for code, readings in _readings().items():
        letters = "".join(dict.fromkeys(r[:1].translate(_TONES) for r in readings.split(",")))
        out[chr(code)] = letters
    return out


INITIALS_CHARS = 12  # of a title, given initials terms


@lru_cache(maxsize=65536)
def initials_terms(title: str) -> tuple[str, ...]:
    """`pi:` terms of a title: the substrings of 2 to 4 letters of its pinyin initials (each
    reading of a character that has several), from its first `INITIALS_CHARS` characters."""
    table = _initials_table()
    grams: set[str] = set()
    for run in _HAN_RUN.findall(normalise(title)[:INITIALS_CHARS * 2]):
        options = [table.get(ch) or "" for ch in run[:INITIALS_CHARS]]
        plain = "".join(o[:1] or "?" for o in options)
        several = [len(o) > 1 for o in options]
        for n in (2, 3, 4):
            for i in range(len(options) - n + 1):
                gram = plain[i:i + n]
                if "?" in gram:
                    continue
                if not any(several[i:i + n]):
                    grams.add(gram)
                    continue
                partial = [""]
                for letters in options[i:i + n]:
                    partial = [p + c for p in partial for c in letters][:16]
                grams.update(partial)
    return tuple(INITIALS + g for g in sorted(grams))


def initials_candidates(norm: str) -> list[str]:
    """Words an agent may have typed as pinyin initials (`jzz`, `sbk`): short, all letters, at
    most one vowel (initials have few: 安 a, 额 e, 欧 o)."""
    return [w for w in _WORD.findall(norm) if w.isalpha() and 2 <= len(w) <= 8
            and sum(ch in "aeiou" for ch in w) <= 1]


def text_terms(text: str) -> list[str]:
    """The plain terms of a text (bigrams and stems), with repeats."""
    return terms_of_normalised(normalise(text))


def english_words(norm: str) -> list[str]:
    """The stemmed English words of normalised text, in order (stop words kept: phrases)."""
    return [word_form(w) for w in _WORD.findall(norm)]


def phrase_key(words: list[str]) -> str:
    """English words as a lexicon phrase is looked for: ' house tax ' (a stem's final e
    dropped, so that 'taxes' → 'taxe' meets 'tax')."""
    return " " + " ".join(w[:-1] if len(w) > 3 and w.endswith("e") else w for w in words) + " "
