"""Quick phrases: the standard sentences agents say and write, by short code and language.

An agent types a code (`;gr`) in any text field and a key expands it (the TUI's part); the text
comes from `kb_phrase`, editable and, later, synced like the articles. A phrase may name values
to fill in (`{address}`, `{department}`); `expand` fills those it is given and leaves the others
showing as `{name}`, so that the agent sees what is still to say.

    book = Phrasebook.load(store)
    book.expand(";ad", "zh", address="龙蟠中路28号")
"""

from __future__ import annotations

import re
import sqlite3
import string
from dataclasses import dataclass
from datetime import datetime

from models.domain.i18n import t
from models.domain.text import clean_text
from models.domain.timeutil import now, to_db_text

CODE = re.compile(r";[a-z0-9]{1,6}")


@dataclass(frozen=True)
class Phrase:
    code: str
    lang: str
    label: str  # a `kb.phrase.*` key for the built-in ones, or a label as written
    text: str
    version: int = 1

    def label_text(self, lang: str | None = None) -> str:
        key = self.label
        return t(key, lang or self.lang) if key.startswith("kb.phrase.") else key

    def fields(self) -> list[str]:
        """The values the phrase asks for ({address} → address)."""
        return [name for _, name, _, _ in string.Formatter().parse(self.text) if name]


# The built-in set: (code, label key, Chinese, English).
DEFAULTS: tuple[tuple[str, str, str, str], ...] = (
    (";gr", "kb.phrase.greeting", "您好，12345政务服务便民热线，工号{agent}为您服务，请问有什么可以帮您？",
     "Hello, this is the city 311 service line, agent {agent} speaking. How can I help you?"),
    (";ad", "kb.phrase.address", "跟您核对一下地址：{address}，对吗？",
     "Let me read the address back to you: {address}. Is that correct?"),
    (";pt", "kb.phrase.passed_on", "您反映的问题我们已转交{department}办理，将在{days}个工作日内给您答复。",
     "I have passed this to the {department}; you will hear back within {days} working days."),
    (";an", "kb.phrase.answered", "以上就是关于您咨询问题的答复，请问您还有其他问题吗？",
     "That answers your question. Is there anything else I can help you with?"),
    (";wt", "kb.phrase.wait", "请您稍等，我帮您查询一下。",
     "Please hold a moment while I look that up."),
    (";cl", "kb.phrase.closing", "感谢您的来电，祝您生活愉快，再见。",
     "Thank you for calling. Have a good day. Goodbye."),
    (";cb", "kb.phrase.callback", "您好，这里是12345热线回访，您反映的{case_no}号工单已办结，请问您对办理结果是否满意？",
     "Hello, this is a 311 follow-up call about request {case_no}, which has been resolved. Are you satisfied with the result?"),
    (";ct", "kb.phrase.redirect_court", "您反映的问题属于司法途径解决的事项，建议您向人民法院提起诉讼或申请强制执行。",
     "This is a matter for the courts: you can file a claim or apply for enforcement at the court."),
)


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, **params: object) -> str:
    """The phrase with the given values in (cleaned, one line each); the rest left as {name}."""
    values = _Keep({k: clean_text(str(v), multiline=False) for k, v in params.items()
                    if v is not None and str(v).strip()})
    return string.Formatter().vformat(text, (), values)


def ensure_default_phrases(conn: sqlite3.Connection, at: datetime | None = None) -> int:
    """Add the built-in phrases a store lacks (an edited one is never overwritten)."""
    stamp = to_db_text(at or now())
    added = 0
    for code, label, zh, en in DEFAULTS:
        for lang, text in (("zh", zh), ("en", en)):
            cur = conn.execute(
                "INSERT INTO kb_phrase (code, lang, label, text, version, withdrawn, updated_at) "
                "VALUES (?, ?, ?, ?, 1, 0, ?) ON CONFLICT (code, lang) DO NOTHING",
                (code, lang, label, text, stamp))
            added += cur.rowcount
    return added


def save_phrase(conn: sqlite3.Connection, code: str, lang: str, text: str, label: str = "",
                at: datetime | None = None) -> int:
    """Add or change a phrase (a change is its next version); returns its version."""
    code = code.strip().lower()
    if not CODE.fullmatch(code):
        raise ValueError(f"a phrase code is ';' and 1 to 6 letters or digits, not {code!r}")
    text = clean_text(text)
    row = conn.execute("SELECT version, text, label FROM kb_phrase WHERE code = ? AND lang = ?",
                       (code, lang)).fetchone()
    stamp = to_db_text(at or now())
    if row is None:
        conn.execute("INSERT INTO kb_phrase (code, lang, label, text, version, withdrawn, "
                     "updated_at) VALUES (?, ?, ?, ?, 1, 0, ?)",
                     (code, lang, label or code, text, stamp))
        return 1
    if row[1] == text and (not label or label == row[2]):
        return row[0]
    conn.execute("UPDATE kb_phrase SET text = ?, label = ?, version = version + 1, "
                 "withdrawn = 0, updated_at = ? WHERE code = ? AND lang = ?",
                 (text, label or row[2], stamp, code, lang))
    return row[0] + 1


@dataclass
class Phrasebook:
    phrases: dict[tuple[str, str], Phrase]

    @classmethod
    def load(cls, store) -> Phrasebook:
        """The store's phrases (the built-in set is added first where missing)."""
        with store.raw() as conn:
            conn.execute("BEGIN IMMEDIATE")
            ensure_default_phrases(conn)
            conn.execute("COMMIT")
            rows = conn.execute("SELECT code, lang, label, text, version FROM kb_phrase "
                                "WHERE NOT withdrawn ORDER BY code, lang").fetchall()
        return cls({(r[0], r[1]): Phrase(*r) for r in rows})

    @classmethod
    def defaults(cls) -> Phrasebook:
        book = {}
        for code, label, zh, en in DEFAULTS:
            book[(code, "zh")] = Phrase(code, "zh", label, zh)
            book[(code, "en")] = Phrase(code, "en", label, en)
        return cls(book)

    def get(self, code: str, lang: str) -> Phrase | None:
        code = code.strip().lower()
        return self.phrases.get((code, lang)) or self.phrases.get((code, "en" if lang == "zh" else "zh"))

    def expand(self, code: str, lang: str, **params: object) -> str | None:
        """The phrase for `code` in `lang` (the other language when it has only that), filled;
        None when no phrase has that code."""
        phrase = self.get(code, lang)
        return fill(phrase.text, **params) if phrase else None

    def listing(self, lang: str | None = None) -> list[Phrase]:
        return [p for p in self.phrases.values() if lang is None or p.lang == lang]

    def completions(self, prefix: str, lang: str) -> list[Phrase]:
        """Phrases whose code starts with what was typed (`;g` → `;gr`)."""
        prefix = prefix.strip().lower()
        return [p for (code, plang), p in sorted(self.phrases.items())
                if plang == lang and code.startswith(prefix)]


def expand(code: str, lang: str, store=None, **params: object) -> str | None:
    """`Phrasebook.expand` on the store's phrases (the built-in set when no store is given)."""
    book = Phrasebook.load(store) if store is not None else Phrasebook.defaults()
    return book.expand(code, lang, **params)
