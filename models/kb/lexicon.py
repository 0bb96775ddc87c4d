"""The synonym lexicon: the words callers use for what the articles call something else.

A plain text file, one group per line, words separated by commas; `#` starts a comment. Chinese
and English may share a group. The built-in lexicon is `models/kb/synonyms.txt`; a terminal adds
its own lines in `DATA_DIR/kb_synonyms.txt` (same format), read with it.

A group's word is found in a question as written (normalised: 暖氣 = 暖气), by its sound when its
characters were mistyped (暂住正 → 暂住证), or, for English, by stems and word order ("house
taxes" → house tax). The question then also searches for every other word of its groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from models.search.normalise import normalise

from .text import english_words, phrase_key, pinyin_line

BUILTIN = Path(__file__).with_name("synonyms.txt")
LOCAL_FILE = "kb_synonyms.txt"
_SPLIT = re.compile(r"\s*[,，、]\s*")


@dataclass(frozen=True)
class Phrase:
    text: str  # as written in the lexicon
    norm: str  # normalised
    key: str  # how it is looked for: Chinese as is, English as ' stem stem '
    sound: str  # Chinese: ' zan zhu zheng ' (empty for English or one character)


@dataclass(frozen=True)
class Found:
    """A lexicon word found in a question, how, and the group's other words."""

    phrase: Phrase
    how: str  # "word" | "sound"
    others: tuple[Phrase, ...]


@dataclass
class Lexicon:
    groups: list[tuple[Phrase, ...]] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Lexicon:
        groups = []
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = [w for w in _SPLIT.split(line) if w.strip()]
            phrases = tuple(dict.fromkeys(_phrase(w.strip()) for w in words))
            if len(phrases) >= 2:
                groups.append(phrases)
        return cls(groups)

    @classmethod
    def load(cls, *paths: Path) -> Lexicon:
        lex = cls()
        for path in paths:
            if path.exists():
                lex.groups += cls.parse(path.read_text(encoding="utf-8")).groups
        return lex

    def english_vocabulary(self) -> frozenset[str]:
        return frozenset(w for group in self.groups for p in group if p.key.startswith(" ")
                         for w in english_words(p.norm))

    def find(self, norm: str, words_line: str, sound_line: str) -> list[Found]:
        """The groups whose words the question has (`norm`: the normalised question;
        `words_line`: its English stems as ' a b c '; `sound_line`: its Chinese as pinyin).

        Longer words win where found words overlap: "house tax" is a tax, not a house."""
        spans: list[tuple[int, str, int, int, int, Phrase]] = []  # (-len, space, start, end, group)
        for g, group in enumerate(self.groups):
            for phrase in group:
                if phrase.key.startswith(" "):
                    space, at = "words", words_line.find(phrase.key)
                else:
                    space, at = "norm", norm.find(phrase.key)
                if at < 0:
                    continue
                spans.append((-len(phrase.key), space, at, at + len(phrase.key), g, phrase))
        spans.sort(key=lambda x: (x[0], x[2]))
        taken: dict[str, list[tuple[int, int]]] = {"words": [], "norm": []}
        chosen: dict[int, Found] = {}
        for _, space, start, end, g, phrase in spans:
            if g in chosen:
                continue
            # English keys carry their spaces: neighbours share one, so compare the insides.
            a, b = (start + 1, end - 1) if space == "words" else (start, end)
            if any(a < y and x < b for x, y in taken[space]):
                continue
            taken[space].append((a, b))
            chosen[g] = Found(phrase, "word", tuple(p for p in self.groups[g] if p != phrase))
        for g, group in enumerate(self.groups):  # then by sound: a mistyped word
            if g in chosen:
                continue
            for phrase in group:
                if phrase.sound and phrase.sound in sound_line:
                    chosen[g] = Found(phrase, "sound", tuple(p for p in group if p != phrase))
                    break
        return [chosen[g] for g in sorted(chosen)]


def _phrase(word: str) -> Phrase:
    norm = normalise(word)
    if any("\u3400" <= ch <= "\u9fff" for ch in norm):
        compact = "".join(norm.split())
        return Phrase(word, compact, compact, pinyin_line(compact) if len(compact) >= 2 else "")
    return Phrase(word, norm, phrase_key(english_words(norm)), "")


@cache
def builtin_lexicon() -> Lexicon:
    return Lexicon.load(BUILTIN)


def lexicon_for(data_dir: Path | None) -> Lexicon:
    """The built-in lexicon plus the terminal's own lines, when it has any."""
    base = builtin_lexicon()
    if data_dir is None or not (Path(data_dir) / LOCAL_FILE).exists():
        return base
    return Lexicon(base.groups + Lexicon.load(Path(data_dir) / LOCAL_FILE).groups)
