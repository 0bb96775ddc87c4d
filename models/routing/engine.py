"""Routing suggestions: which category, which department(s), or no dispatch at all, and why.

Evidence, each turned into reasons an agent can read:
- the text: cosine with the centroids learned from history, for categories and for departments
  ("its past cases read like this one"; a category learned from few cases counts for less,
  `CAT_SHRINK_DOCS`), plus the catalogue's category names and aliases found in the text
  ("mentions 马蜂窝");
- departments the text names ("交警大队", "县人社局": a name, an alias, or its kind without the
  place, `models.domain.bodies`): the department itself, and the categories history filed
  under it (callers often write to the body they want an answer from);
- the catalogue: departments that own the likely categories, where (location kind) and in which
  district;
- the rules file: lead and co-handling departments, and non-dispatch dispositions (owners'
  self-governance, courts, market) for a category at a kind of place;
- outcomes: which departments resolved cases of the likely category and which returned them. A
  department that returns many of them is ranked lower and carries a warning;
- the nearest past cases (`Neighbour`s, found by the similar-case search and handed in by the
  caller, since the search engine sits beside this one, not below it): how many of them each
  department handled and each category held, weighted by their similarity ("7 of the 10 most
  similar past cases");
- exact matches: past cases whose description had exactly these words ("PLUMBING: TOILET"
  handled 1,343 times by one department) count for what handled them.

How the parts add up (`W_KNN_*`, `W_EXACT_*` beside the centroid score) was fitted on tuning
splits of the real sets only (`benchmarks/eval_routing.py --fit`); the held-out splits are
scored with the weights as they stand here.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.domain.bodies import parse as parse_body
from models.domain.enums import Disposition, LocationKind
from models.domain.i18n import Reason
from models.store import sqlite

from . import stats
from .classify import score_labels
from .learn import LearnReport, learn, pending
from .rules import Rules, default_rules
from .tokens import has_cjk, tokens

RETURN_WARN_RATE = 0.3  # warn when a department returned at least this share ...
RETURN_WARN_MIN = 3  # ... and at least this many cases of the kind
ALIAS_BOOST = 0.35
UNSEEN_FADE_DOCS = 300  # catalogue-only categories fade out as labelled history grows to this

# How the evidence for a department adds up (each part is in 0..1).
W_TEXT, W_HISTORY, W_CATALOGUE, W_RULE = 0.45, 0.25, 0.15, 0.15
# The nearest past cases' vote and exact matches, beside the centroid score (fitted on the
# tuning splits, see benchmarks/eval_routing.py --fit).
# Chosen by `benchmarks/eval_routing.py --fit` on the tuning splits (2026-11-30 on the four
# files; 2026-12-02 with the NYC files also asked without their complaint type, which moved the
# departments' vote from 1.0 to 2.0): the vote helps departments and not categories (on the
# Chinese messages it costs 0.1 top-1: the search's neighbours share places more than topics);
# an exact past description counts most (8.0 is the top of the grid).
W_KNN_DEPT, W_EXACT_DEPT = 2.0, 8.0
W_KNN_CAT, W_EXACT_CAT = 0.0, 8.0
# A category learned from few past cases is trusted less: the centroid of a handful of short
# texts matches any text that shares one of their words ("Cave-in: Street" went to "Animal in a
# Park", 2 past cases, over road damage, 159). Its centroid score is weighted n / (n +
# CAT_SHRINK_DOCS); chosen by the same fit, on the tuning splits with the NYC files also asked
# without their complaint type (2026-12-02).
CAT_SHRINK_DOCS = 8.0
# A neighbour of another category than the likely ones votes for departments with this share of
# its weight, one of a likely category with its category's share against the first's (chosen
# on the tuning splits, 2026-12-02: 0.0, 0.25, 0.5 and 1.0 tried; 1.0 is the plain vote).
KNN_OFF_CATEGORY = 0.25
KNN_REASON_MIN = 2  # name the vote as a reason when at least this many neighbours agree
# A category the caller names (a catalogue alias) that history has dispatched few or no cases
# of: its catalogue owners stand in for the history it lacks, with what the text match and the
# neighbours' vote give a department that handled such cases, times STANDIN_DOCS / (n +
# STANDIN_DOCS) for n dispatched. Otherwise the neighbours of other matters found on a shared
# word ("一整天" in a water cut finds "一整排路灯") lead. Not where the rules answer the category.
STANDIN_DOCS = 3.0
# A department the text names (`Catalogue.named_departments`): it gets W_NAMED_DEPT (shared
# among the departments one phrase names), and the categories history filed under it get
# W_NAMED_CAT times their share. Chosen on the tuning splits (`benchmarks/eval_routing.py
# --grid-named`, 2026-12-03; only the Chinese messages move, English names being left out):
# departments 0, 0.25 ... 10 gave the agency's top-1 0.235 rising to 0.284 from 3.0 on (the
# smallest of the plateau); categories 0.05 to 0.8 all gave 0.805 against 0.789 without. 0.2
# is about a clear text's centroid score: a named body is evidence, not the answer.
W_NAMED_DEPT, W_NAMED_CAT = 3.0, 0.2
MIN_BODY_PHRASE = 3  # characters: 教育局 and longer (two, as 交警, name roles more than bodies)


@dataclass(frozen=True)
class Neighbour:
    """One of the nearest past cases: who handled it, what it was, how similar (0..1]."""

    department: str
    category: str
    similarity: float = 1.0

    @classmethod
    def from_hits(cls, hits: Any) -> list[Neighbour]:
        """From similar-case search hits (anything with department, category and score)."""
        hits = list(hits)
        top = max(max((h.score for h in hits), default=0.0), 1e-9)
        return [cls(h.department or "", h.category or "", max(h.score, 0.0) / top) for h in hits]


def _vote(neighbours: list[Neighbour], attr: str,
          trust: Callable[[Neighbour], float] | None = None,
          ) -> tuple[dict[str, float], Counter[str]]:
    """Similarity-weighted shares of the neighbours' labels, and the plain counts. The shares
    sum to 1, less what `trust` (0..1 per neighbour) takes off: a vote of neighbours trusted
    less counts less, it is not made whole again."""
    weights: dict[str, float] = {}
    counts: Counter[str] = Counter()
    total = 0.0
    for n in neighbours:
        label = getattr(n, attr)
        if label:
            weights[label] = weights.get(label, 0.0) + n.similarity * (trust(n) if trust else 1.0)
            counts[label] += 1
            total += n.similarity
    total = total or 1.0
    return {k: v / total for k, v in weights.items()}, counts


def _shares(counter: Counter[str]) -> dict[str, float]:
    total = sum(counter.values())
    return {k: v / total for k, v in counter.items()} if total else {}


@dataclass
class CategorySuggestion:
    category: str  # the label as history stores it (a catalogue code or a raw imported label)
    name: str  # what a person reads
    score: float
    reasons: list[Reason] = field(default_factory=list)
    due_days: int | None = None


@dataclass
class DepartmentSuggestion:
    code: str
    name: str
    score: float
    role: str = "lead"  # lead | co
    reasons: list[Reason] = field(default_factory=list)
    return_rate: float | None = None
    warning: bool = False


@dataclass
class DispositionSuggestion:
    disposition: str
    score: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Suggestions:
    categories: list[CategorySuggestion]
    departments: list[DepartmentSuggestion]
    dispositions: list[DispositionSuggestion]
    location_kind: str
    location_cue: str = ""

    @property
    def lead(self) -> DepartmentSuggestion | None:
        return next((d for d in self.departments if d.role == "lead"), None)

    @property
    def co(self) -> list[DepartmentSuggestion]:
        return [d for d in self.departments if d.role == "co"]

    @property
    def disposition(self) -> str:
        """A non-dispatch disposition when it is the strongest suggestion, else dispatch."""
        best = self.dispositions[0] if self.dispositions else None
        lead = self.lead
        if best and (lead is None or best.score >= lead.score):
            return best.disposition
        return str(Disposition.DISPATCH)


@dataclass
class _Dept:
    code: str
    name_zh: str
    name_en: str
    aliases: list[str]
    parent: str
    district: str
    categories: list[str]
    location_kinds: list[str]
    source: str

    def name(self, lang: str) -> str:
        if lang == "zh":
            return self.name_zh or self.name_en or self.code
        return self.name_en or self.name_zh or self.code


@dataclass
class _Cat:
    code: str
    name_zh: str
    name_en: str
    parent: str
    aliases: list[str]
    due_days: int


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class Catalogue:
    """The store's departments and categories, read once (re-read with `Router.reload`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.departments: dict[str, _Dept] = {}
        for row in conn.execute("SELECT code, name_zh, name_en, aliases, parent, district, "
                                "categories, location_kinds, source FROM department"):
            code, zh, en, aliases, parent, district, cats, kinds, source = row
            self.departments[code] = _Dept(code, zh, en, json.loads(aliases), parent, district,
                                           json.loads(cats), json.loads(kinds), source)
        self.categories: dict[str, _Cat] = {}
        for code, zh, en, parent, aliases, due in conn.execute(
                "SELECT code, name_zh, name_en, parent, aliases, due_days FROM category"):
            self.categories[code] = _Cat(code, zh, en, parent, json.loads(aliases), due)
        self.owners: dict[str, list[_Dept]] = {}
        for dept in self.departments.values():
            for cat in dept.categories:
                self.owners.setdefault(cat, []).append(dept)
        # Names and aliases to look for in a text: longest first, so 路灯不亮 beats 路灯.
        phrases: list[tuple[str, str]] = []
        for cat in self.categories.values():
            for phrase in (cat.name_zh, cat.name_en, *cat.aliases):
                folded = _fold(phrase).strip()
                if len(folded) >= (3 if folded.isascii() else 2):
                    phrases.append((folded, cat.code))
        self.phrases = sorted(phrases, key=lambda p: -len(p[0]))
        # Departments' Chinese names and aliases, whole and as their kind (A7县教育局 → 教育局):
        # phrase → the departments it names. Latin names are left out: agencies' short names
        # (DOT, HPD, parks) are everyday words in English text.
        bodies: dict[str, set[str]] = {}
        for dept in self.departments.values():
            for name in (dept.name_zh, *dept.aliases):
                folded = _fold(name or "").strip()
                for phrase in {folded, parse_body(folded).rest}:
                    if len(phrase) >= MIN_BODY_PHRASE and not phrase.isascii():
                        bodies.setdefault(phrase, set()).add(dept.code)
        self.body_phrases = sorted(((p, sorted(c)) for p, c in bodies.items()),
                                   key=lambda p: -len(p[0]))

    def owners_of(self, category: str) -> list[_Dept]:
        """The departments owning a category, or its nearest ancestor that has owners."""
        return next((self.owners[c] for c in self.chain(category) if c in self.owners), [])

    def chain(self, code: str) -> list[str]:
        """A category and its ancestors, nearest first."""
        out: list[str] = []
        while code and code not in out:
            out.append(code)
            cat = self.categories.get(code)
            code = cat.parent if cat else ""
        return out

    def category_name(self, label: str, lang: str) -> str:
        cat = self.categories.get(label)
        if cat is None:
            return label
        return (cat.name_zh or cat.name_en) if lang == "zh" else (cat.name_en or cat.name_zh)

    def department_name(self, code: str, lang: str) -> str:
        dept = self.departments.get(code)
        return dept.name(lang) if dept else code

    def named_departments(self, text: str) -> dict[str, str]:
        """Departments the text names, by name, alias or kind: code → the phrase (the longest
        that names it)."""
        folded = _fold(text)
        found: dict[str, str] = {}
        for phrase, codes in self.body_phrases:
            if phrase in folded:
                for code in codes:
                    found.setdefault(code, phrase)
        return found

    def mentioned(self, text: str) -> dict[str, str]:
        """Catalogue categories whose name or alias the text contains: code → the phrase."""
        folded = _fold(text)
        found: dict[str, str] = {}
        for phrase, code in self.phrases:
            if code in found:
                continue
            hit = (re.search(rf"\b{re.escape(phrase)}(?:s|es)?\b", folded) is not None
                   if phrase.isascii() else phrase in folded)
            if hit:
                found[code] = phrase
        return found


class Router:
    """Suggestions for one store. Keep one per process: it caches the catalogue and label norms."""

    def __init__(self, data_dir: Path | str, store_path: Path | str, rules: Rules | None = None):
        self.data_dir = Path(data_dir)
        self.store_path = Path(store_path)
        self.rules = rules or default_rules()
        self._conn = stats.connect(self.data_dir)
        self._store = sqlite.connect(self.store_path)
        self.reload()

    @classmethod
    def for_store(cls, store: Any, rules: Rules | None = None) -> Router:
        """From a `models.store.Store` (its data dir holds the statistics file)."""
        return cls(store.data_dir, store.path, rules)

    def close(self) -> None:
        self._conn.close()
        self._store.close()

    def reload(self) -> None:
        """Re-read the catalogue and the learned label sizes and norms."""
        self.catalogue = Catalogue(self._store)
        self.norms: dict[str, dict[str, float]] = {}
        self.docs: dict[str, dict[str, int]] = {}
        for model in stats.MODELS:
            rows = self._conn.execute("SELECT label, docs, norm FROM label WHERE model = ?",
                                      (model,)).fetchall()
            self.norms[model] = {lab: norm for lab, _, norm in rows}
            self.docs[model] = {lab: docs for lab, docs, _ in rows}

    # --- learning ----------------------------------------------------------------------------
    def pending(self) -> int:
        return pending(self._conn, self._store)

    def refresh(self, progress: stats.Progress | None = None, rebuild: bool = False) -> LearnReport:
        """Learn what the store has that the statistics do not yet (cheap when nothing is new)."""
        if not rebuild and not self.needs_learning():
            return LearnReport()
        report = self.learn(progress, rebuild=rebuild)
        self.reload()
        return report

    def needs_learning(self) -> bool:
        """Whether the store holds cases or events the statistics have not learned."""
        return self.pending() > 0 or self._events_pending() or \
            stats.get_state(self._conn, "format") != stats.FORMAT

    def learn(self, progress: stats.Progress | None = None, rebuild: bool = False) -> LearnReport:
        """Learn into the statistics file through connections of its own: another thread may
        go on suggesting from this router meanwhile (from the statistics as they were until
        each step commits); `reload` then reads the new label norms."""
        return learn(self.data_dir, self.store_path, progress, rebuild=rebuild)

    def _events_pending(self) -> bool:
        last = int(stats.get_state(self._conn, "event_rowid", "0") or 0)
        top = self._store.execute("SELECT max(rowid) FROM caseevent").fetchone()[0] or 0
        return top > last

    # --- suggesting --------------------------------------------------------------------------
    def suggest(self, text: str, *, address: str = "", location_kind: str | None = None,
                district: str = "", lang: str = "en", limit: int = 5,
                neighbours: Any = ()) -> Suggestions:
        """`neighbours`: the nearest past cases (`Neighbour`s, e.g. `Neighbour.from_hits` of a
        similar-case search for the text), best first; without them the vote is left out."""
        features = tokens(text)
        counts = Counter(features)
        cue = ""
        if not location_kind or location_kind == LocationKind.OTHER:
            location_kind, cue = self.rules.location_kind(text, address)
        names_lang = "zh" if has_cjk(text) else ("en" if text.strip() else lang)
        near = list(neighbours)
        exact = stats.exact_labels(self._conn, features)
        named = self.catalogue.named_departments(text)
        categories = self._categories(text, counts, lang, names_lang, limit, near,
                                      exact["category"], named)
        departments, dispositions = self._departments(counts, categories, location_kind,
                                                      district, lang, limit, near,
                                                      exact["department"], named)
        return Suggestions(categories[:limit], departments, dispositions, location_kind, cue)

    def _categories(self, text: str, counts: Counter[str], lang: str, names_lang: str,
                    limit: int, near: list[Neighbour] | None = None,
                    exact: Counter[str] | None = None,
                    named: dict[str, str] | None = None) -> list[CategorySuggestion]:
        cat = self.catalogue
        learned = score_labels(self._conn, "category", counts, self.norms["category"])
        seen = self.docs["category"]
        # History filed under labels of its own (an imported city's types), not the catalogue's
        own_labels = sum(n for label, n in seen.items() if label not in cat.categories)
        scores: dict[str, float] = {
            label: s * seen.get(label, 0) / (seen.get(label, 0) + CAT_SHRINK_DOCS)
            for label, s in learned.items()}
        reasons: dict[str, list[Reason]] = {}
        top_learned = max(learned.values(), default=0.0)
        # A catalogue category that history never used fades as history filed under other
        # labels grows (the city files under its own categories), unless history knows nothing
        # like this text. Where history uses the catalogue's own categories, one it has not
        # used yet (垃圾 in a history of sewers and street lights) keeps its mention's weight.
        fade = 1.0 if not learned else max(0.0, 1.0 - own_labels / UNSEEN_FADE_DOCS)
        for label, s in learned.items():
            if s >= 0.25 * top_learned:
                reasons.setdefault(label, []).append(Reason(
                    "route.why.category_history", {"n": seen.get(label, 0),
                                                   "similarity": round(100 * s)}))
        for code, phrase in cat.mentioned(text).items():
            boost = ALIAS_BOOST if code in seen else ALIAS_BOOST * fade
            if boost <= 0:
                continue
            scores[code] = scores.get(code, 0.0) + boost
            reasons.setdefault(code, []).insert(0, Reason("route.why.mentions", {"phrase": phrase}))
        self._named_evidence(scores, reasons, named or {})
        vote, votes = _vote(near or [], "category") if W_KNN_CAT > 0 else ({}, Counter())
        for label, share in vote.items():
            scores[label] = scores.get(label, 0.0) + W_KNN_CAT * share
            if votes[label] >= KNN_REASON_MIN and W_KNN_CAT > 0:
                reasons.setdefault(label, []).append(Reason(
                    "route.why.neighbours", {"n": votes[label], "k": len(near or [])}))
        exact = exact or Counter()
        for label, share in _shares(exact).items():
            scores[label] = scores.get(label, 0.0) + W_EXACT_CAT * share
            reasons.setdefault(label, []).insert(0, Reason("route.why.exact", {"n": exact[label]}))
        ranked = sorted(scores, key=lambda k: (-scores[k], k))[:max(limit, 5)]
        out = []
        for label in ranked:
            info = cat.categories.get(label)
            out.append(CategorySuggestion(
                category=label, name=cat.category_name(label, names_lang),
                score=round(scores[label], 4), reasons=reasons.get(label, []),
                due_days=info.due_days if info else None))
        return out

    def _departments(self, counts: Counter[str], categories: list[CategorySuggestion],
                     location_kind: str, district: str, lang: str, limit: int,
                     near: list[Neighbour] | None = None, exact: Counter[str] | None = None,
                     named: dict[str, str] | None = None,
                     ) -> tuple[list[DepartmentSuggestion], list[DispositionSuggestion]]:
        # The likely categories as shares that sum to 1 (the top three carry the evidence).
        top = [c for c in categories[:3] if c.score > 0]
        total = sum(c.score for c in top) or 1.0
        shares = {c.category: c.score / total for c in top}
        ev = _Evidence()
        self._text_evidence(ev, counts)
        outcomes = self._outcomes(list(shares))
        returns = self._history_evidence(ev, shares, outcomes, lang)
        self._catalogue_evidence(ev, shares, location_kind, district, lang)
        dispositions, co_codes = self._rule_evidence(ev, top, shares, location_kind, lang)
        self._standin_evidence(ev, top, shares, outcomes, location_kind)
        _neighbour_evidence(ev, near or [], exact or Counter(), shares)
        _named_department_evidence(ev, named or {})
        self._learned_dispositions(ev, dispositions)
        scored = self._scored(ev, returns, co_codes, lang, limit)
        ranked = sorted(dispositions.values(), key=lambda d: -d.score)
        return scored, ranked

    def _text_evidence(self, ev: _Evidence, counts: Counter[str]) -> None:
        """Departments (and dispositions, learned as "@disposition") whose past cases match."""
        text_scores = score_labels(self._conn, "department", counts, self.norms["department"])
        best_text = max(text_scores.values(), default=0.0)
        for label, s in text_scores.items():
            rel = s / best_text if best_text else 0.0
            ev.add(label, "text", rel, Reason("route.why.similar_history", {
                "n": self.docs["department"].get(label, 0), "similarity": round(100 * s)})
                if rel >= 0.5 else None)

    def _history_evidence(self, ev: _Evidence, shares: dict[str, float],
                          outcomes: dict[str, list[tuple[str, int, int, int]]], lang: str,
                          ) -> dict[str, tuple[int, int, str]]:
        """Who was assigned, resolved and returned the likely categories (`outcomes`); returns
        each department's returns of its biggest likely category (for the warning)."""
        returns: dict[str, tuple[int, int, str]] = {}
        for category, share in shares.items():
            rows = outcomes.get(category, [])
            assigned_all = sum(r[1] for r in rows) or 1
            cname = self.catalogue.category_name(category, lang)
            for dept, assigned, resolved, returned in rows:
                # Cases it returned are no evidence that it owns the kind.
                ev.add(dept, "history", share * max(assigned - returned, 0) / assigned_all,
                       Reason("route.why.resolved", {"resolved": resolved, "assigned": assigned,
                                                     "category": cname})
                       if share >= 0.3 and resolved else None)
                if returned and share >= 0.3:
                    prev = returns.get(dept)
                    if prev is None or assigned > prev[1]:
                        returns[dept] = (returned, assigned, cname)
        return returns

    def _catalogue_evidence(self, ev: _Evidence, shares: dict[str, float], location_kind: str,
                            district: str, lang: str) -> None:
        """Catalogue ownership, by place and district."""
        cat = self.catalogue
        for category, share in shares.items():
            cname = cat.category_name(category, lang)
            for dept in cat.owners_of(category):
                fit = _place_fit(dept, location_kind)
                fits_place = fit == 1.0
                unknown_place = location_kind == LocationKind.OTHER
                if district and dept.district:
                    fit *= 1.2 if dept.district == district else 0.5
                place = LocationKind(location_kind).label(lang) if fits_place and \
                    dept.location_kinds and not unknown_place else ""
                ev.add(dept.code, "catalogue", share * min(fit, 1.0),
                       Reason("route.why.catalogue_place" if place else "route.why.catalogue",
                              {"category": cname, "place": place}) if share >= 0.3 else None)

    def _standin_evidence(self, ev: _Evidence, top: list[CategorySuggestion],
                          shares: dict[str, float],
                          outcomes: dict[str, list[tuple[str, int, int, int]]],
                          location_kind: str) -> None:
        """Catalogue owners of a named category that history has little of (STANDIN_DOCS)."""
        cat = self.catalogue
        named = [c.category for c in top if shares[c.category] >= 0.3 and any(
            r.key == "route.why.mentions" for r in c.reasons)]
        named = [c for c in named if self.rules.for_category(cat.chain(c), location_kind) is None]
        for category in named:
            dispatched = sum(r[1] for r in outcomes.get(category, []))
            weight = shares[category] * STANDIN_DOCS / (dispatched + STANDIN_DOCS)
            for dept in cat.owners_of(category):
                ev.add(dept.code, "standin", weight * _place_fit(dept, location_kind))

    def _rule_evidence(self, ev: _Evidence, top: list[CategorySuggestion],
                       shares: dict[str, float], location_kind: str, lang: str,
                       ) -> tuple[dict[str, DispositionSuggestion], list[str]]:
        """Rules: lead, co-handling and non-dispatch dispositions for the top category and place."""
        dispositions: dict[str, DispositionSuggestion] = {}
        co_codes: list[str] = []
        if not top:
            return dispositions, co_codes
        first = top[0]
        rule = self.rules.for_category(self.catalogue.chain(first.category), location_kind)
        if rule is None:
            return dispositions, co_codes
        share = shares[first.category]
        why = Reason("route.why.rule", {"rule": rule.why(lang)})
        if rule.disposition != Disposition.DISPATCH:
            dispositions[rule.disposition] = DispositionSuggestion(
                rule.disposition, round(share * (W_RULE + W_CATALOGUE + W_HISTORY
                                                 + W_TEXT * 0.5), 4), [why])
        if rule.lead:
            ev.add(rule.lead, "rule", share, why)
        for code in rule.co:
            ev.add(code, "rule", 0.5 * share)
            co_codes.append(code)
        return dispositions, co_codes

    def _learned_dispositions(self, ev: _Evidence,
                              dispositions: dict[str, DispositionSuggestion]) -> None:
        """Dispositions learned from history ("@answered", ...): not departments."""
        for label in [code for code in ev.evidence if code.startswith("@")]:
            parts = ev.evidence.pop(label)
            value = sum(parts.values()) * W_TEXT
            ev.reasons.pop(label, None)
            disposition = label[1:]
            reason = Reason("route.why.disposition_history",
                            {"n": self.docs["department"].get(label, 0)})
            known = dispositions.get(disposition)
            if known:
                known.score = round(known.score + value, 4)
                known.reasons.append(reason)
            elif value >= 0.2:
                dispositions[disposition] = DispositionSuggestion(disposition, round(value, 4),
                                                                  [reason])

    def _scored(self, ev: _Evidence, returns: dict[str, tuple[int, int, str]],
                co_codes: list[str], lang: str, limit: int) -> list[DepartmentSuggestion]:
        """The weighted sum per department in the catalogue, a frequent returner marked down,
        best first; the rule's co-handlers below the lead marked as such."""
        cat = self.catalogue
        # read at call time: benchmarks/eval_routing.py --fit sets the module's weights
        weights = {"text": W_TEXT, "history": W_HISTORY, "catalogue": W_CATALOGUE, "rule": W_RULE,
                   "knn": W_KNN_DEPT, "exact": W_EXACT_DEPT, "named": W_NAMED_DEPT,
                   "standin": W_TEXT + W_KNN_DEPT}
        scored: list[DepartmentSuggestion] = []
        for code, parts in ev.evidence.items():
            if code not in cat.departments:
                continue  # not in the catalogue (a name an import holds for a lead): never offered
            suggestion = DepartmentSuggestion(
                code=code, name=cat.department_name(code, lang),
                score=sum(weights[p] * v for p, v in parts.items()),
                reasons=ev.reasons.get(code, []))
            if code in returns:
                _warn_returns(suggestion, *returns[code])
            suggestion.score = round(suggestion.score, 4)
            scored.append(suggestion)
        scored.sort(key=lambda d: (-d.score, d.code))
        scored = scored[:limit]
        lead = scored[0].code if scored else ""
        for suggestion in scored:
            if suggestion.code in co_codes and suggestion.code != lead:
                suggestion.role = "co"
                suggestion.reasons.append(Reason("route.why.co", {
                    "lead": cat.department_name(lead, lang)}))
        return scored

    def _named_evidence(self, scores: dict[str, float], reasons: dict[str, list[Reason]],
                        named: dict[str, str]) -> None:
        """The categories history filed under the departments the text names, by their share
        of those departments' cases (uncategorised cases left out)."""
        if not named or W_NAMED_CAT <= 0:
            return
        codes = list(named)
        shares = _shares(Counter(dict(self._conn.execute(
            "SELECT category, sum(assigned) FROM outcome WHERE category != '' AND department "
            f"IN ({','.join('?' * len(codes))}) GROUP BY category", codes))))
        for label, share in shares.items():
            scores[label] = scores.get(label, 0.0) + W_NAMED_CAT * share
        if shares:
            top = max(shares, key=shares.__getitem__)
            phrase = max(named.values(), key=len)
            reasons.setdefault(top, []).insert(0, Reason("route.why.names_body", {"phrase": phrase}))

    def _outcomes(self, categories: list[str]) -> dict[str, list[tuple[str, int, int, int]]]:
        if not categories:
            return {}
        rows = self._conn.execute(
            "SELECT category, department, assigned, resolved, returned FROM outcome "
            f"WHERE category IN ({','.join('?' * len(categories))})", categories).fetchall()
        out: dict[str, list[tuple[str, int, int, int]]] = {}
        for category, dept, assigned, resolved, returned in rows:
            out.setdefault(category, []).append((dept, assigned, resolved, returned))
        return out


class _Evidence:
    """What speaks for each department: parts (text, history, catalogue, rule, knn, exact) and
    the reasons shown with it."""

    def __init__(self) -> None:
        self.evidence: dict[str, dict[str, float]] = {}
        self.reasons: dict[str, list[Reason]] = {}

    def add(self, code: str, part: str, value: float, reason: Reason | None = None) -> None:
        if value <= 0:
            return
        slot = self.evidence.setdefault(code, {})
        slot[part] = slot.get(part, 0.0) + value
        if reason is not None:
            self.reasons.setdefault(code, []).append(reason)


def _place_fit(dept: _Dept, location_kind: str) -> float:
    """How well a catalogue owner fits the place: it owns the kind there (or anywhere) 1.0; the
    place unknown 0.6; another place 0.2."""
    if not dept.location_kinds or location_kind in dept.location_kinds:
        return 1.0
    return 0.6 if location_kind == LocationKind.OTHER else 0.2


def _neighbour_evidence(ev: _Evidence, near: list[Neighbour], exact: Counter[str],
                        shares: dict[str, float]) -> None:
    """The nearest past cases' vote, and past cases with exactly this description. A neighbour
    filed under a category this text does not read as (`shares`, the likely categories) votes
    with KNN_OFF_CATEGORY of its weight: it was found on a word the two share ("night" in a
    noise complaint finds street lights dark at night), not on the matter."""
    best = max(shares.values(), default=0.0)

    def trust(n: Neighbour) -> float:
        if not n.category or best <= 0:
            return 1.0
        return KNN_OFF_CATEGORY + (1.0 - KNN_OFF_CATEGORY) * shares.get(n.category, 0.0) / best

    vote, votes = _vote(near, "department", trust)
    for code, share in vote.items():
        ev.add(code, "knn", share, Reason("route.why.neighbours", {
            "n": votes[code], "k": len(near)}) if votes[code] >= KNN_REASON_MIN else None)
    for code, share in _shares(exact).items():
        ev.add(code, "exact", share)
        ev.reasons.setdefault(code, []).insert(0, Reason("route.why.exact", {"n": exact[code]}))


def _named_department_evidence(ev: _Evidence, named: dict[str, str]) -> None:
    """Each phrase the text names departments by counts once, shared among them (教育局 may
    be the kind of several districts' bodies; the other evidence tells them apart)."""
    if W_NAMED_DEPT <= 0:
        return
    sharing = Counter(named.values())  # how many departments each phrase names
    for code, phrase in named.items():
        ev.add(code, "named", 1.0 / sharing[phrase])
        ev.reasons.setdefault(code, []).insert(0, Reason("route.why.names_body",
                                                         {"phrase": phrase}))


def _warn_returns(suggestion: DepartmentSuggestion, returned: int, assigned: int,
                  cname: str) -> None:
    """A department that often returns this kind of case: its rate shown, its score lowered."""
    rate = returned / max(assigned, 1)
    suggestion.return_rate = round(rate, 3)
    if returned >= RETURN_WARN_MIN and rate >= RETURN_WARN_RATE:
        suggestion.warning = True
        suggestion.score *= 1.0 - 0.8 * rate
        suggestion.reasons.insert(0, Reason(
            "route.why.returns", {"returned": returned, "assigned": assigned,
                                  "rate": round(100 * rate), "category": cname}, warning=True))
