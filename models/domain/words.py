"""English function words: they carry nothing for similarity or routing, and would bloat the
search index and explain nothing ("similar text: street lights been"). Particles that carry a
311 request's sense stay words: out, off, up, down, over (a light out, power off, a tree down).
Read by the similar-case search (`models.search.normalise`) and by routing
(`models.routing.tokens`), so both engines skip the same words."""

from __future__ import annotations

STOPWORDS = frozenset("""
a an and are as at be by for from has have i in is it its me my of on or our so that the their
there this to was we were with you your he she they them his her not no but can will would
am been being did do does doing had having if into just than then these those what when where
which while who whom why how also could should may might shall very too about because any all
some such each both again here us him
""".split())
