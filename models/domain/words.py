"""Words both engines read the same way.

- English function words: they carry nothing for similarity or routing, and would bloat the
  search index and explain nothing ("similar text: street lights been"). Particles that carry a
  311 request's sense stay words: out, off, up, down, over (a light out, power off, a tree down).
- Street types as addresses abbreviate them (AVE, St, Blvd): the search writes each one way, and
  routing reads a place word followed by one as a road's name (45 Park Ave is no park).

Read by the similar-case search (`models.search.normalise`) and by routing
(`models.routing.tokens`, `models.routing.rules`)."""

from __future__ import annotations

STOPWORDS = frozenset("""
a an and are as at be by for from has have i in is it its me my of on or our so that the their
there this to was we were with you your he she they them his her not no but can will would
am been being did do does doing had having if into just than then these those what when where
which while who whom why how also could should may might shall very too about because any all
some such each both again here us him
""".split())

STREET_TYPES = {
    "ave": "avenue", "av": "avenue", "st": "street", "str": "street", "rd": "road",
    "blvd": "boulevard", "dr": "drive", "ln": "lane", "pl": "place", "ct": "court",
    "pkwy": "parkway", "hwy": "highway", "sq": "square", "ter": "terrace", "cir": "circle",
    "expy": "expressway", "tpke": "turnpike",
}
# Every way a street type is written, the unabbreviated ones too ("way" and "row" have no
# abbreviation).
STREET_WORDS = frozenset(STREET_TYPES) | frozenset(STREET_TYPES.values()) | {"way", "row"}
