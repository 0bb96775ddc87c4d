"""The terms a case is indexed by and a query asks for, one text at a time or a chunk at a time.

Both paths give exactly the same terms (tests/models/test_search.py compares them):
- `text_terms(norm)`: one normalised text (a query, a filed case), in plain Python;
- `bulk_terms(norms)`: thousands of normalised texts at once (an import, a rebuild), in numpy:
  the chunk is one array of code points, and bigrams, lone characters, dictionary words and
  Latin words are found by array arithmetic, not by a Python loop per token.

Terms:
- Chinese: every overlapping character pair (路灯不亮 → 路灯 灯不 不亮: any two-character word
  matches with no dictionary), a lone Han character, and every word of three or four characters
  of jieba's dictionary found in the text (马蜂窝, 化粪池, 预付卡, 停车场): a whole word matched
  is stronger evidence than its pairs. (jieba's own segmenter costs about 5 µs per character in
  Python, 230 µs for a 45-character complaint: a million-row import cannot pay that; its
  dictionary, matched as arrays, costs almost nothing.)
- Latin words and numbers, case-folded and lightly stemmed (`normalise.word_form`), stopwords out.
- Places (`place_terms`): compounds, roads, towns, schools, the anonymised A市 / A6区 forms, and
  a road or compound with its number (龙蟠中路#28, 阳光小区#2): strong features of their own field.

Petition boilerplate (尊敬的领导, 您好, 请有关部门尽快处理, 谢谢 …) is cut out before any of this
(`strip_boilerplate`): every petition has it, so it only adds noise to both sides of a match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache, lru_cache

from models.domain.words import STREET_WORDS as _STREET_WORDS

from .normalise import HAN, STOPWORDS, word_form

# --- boilerplate --------------------------------------------------------------------------------
# Greetings, pleas and thanks. Every alternative begins with a plain character (the groups of
# first words written out, in their order: the same matches), so that the regex engine skips
# through a chunk to the characters one can begin with (six times faster than trying them all
# at every place).
_PLEA = (r"(?:有关|相关|各级|上级|职能)?(?:部门|领导|政府)?"
         r"(?:能够|能|给予|尽快|及时|早日|帮忙|予以|认真|切实|高度)*"
         r"(?:重视|关注|处理|解决|核实|调查|回复|答复|帮助|协调|过问|督促|查处|整治)")
_BOILERPLATE = re.compile("|".join([
    rf"尊敬的[{HAN}a-z0-9]{{0,8}}?(?:领导|书记|市长|县长|区长|主任|局长|政府|同志|市委)们?",
    *(w + "们?好" for w in ("您", "你", "大家", "领导")),
    *(w + _PLEA for w in ("恳请", "请求", "请", "希望", "望", "盼望", "盼")),
    "有关部门|相关部门|职能部门|有关领导",
    "此致|敬礼|谢谢|感谢|辛苦了",
    *(w + "(?:回复|答复|处理|解决)" for w in ("坐等", "等待", "期待", "盼")),
    "x000d",
]))


def strip_boilerplate(norm: str) -> str:
    return _BOILERPLATE.sub(" ", norm) if norm else norm


# --- places -------------------------------------------------------------------------------------
_PLACE_SUFFIX = (
    "小区|花园|花苑|家园|新村|公寓|大厦|广场|社区|宿舍|新城|山庄|名苑|雅苑|"
    "大街|大道|胡同|路|街|巷|弄|"
    "街道|镇|乡|村|"
    "学院|大学|中学|小学|学校|幼儿园|医院|卫生院|市场|公园|车站|高速|"
    "工业园|开发区|产业园|园区"
)
# A place: 2-4 Han characters (the name, and whatever stands before it), a suffix, maybe a number.
# (Written for speed, the same matches: the name's first character first, so that the engine
# skips to Han text; then a look-ahead, implied by the rest, that tests one character class
# where a place cannot start instead of trying each suffix after each length of name.)
_SUFFIX_STARTS = "".join(sorted({s[0] for s in _PLACE_SUFFIX.split("|")}))
_PLACE_RE = re.compile(rf"([{HAN}](?=[{HAN}]{{1,3}}?[{_SUFFIX_STARTS}])[{HAN}]{{1,3}})"
                       rf"({_PLACE_SUFFIX})(?![灯费况线过途人面])"
                       r"(?:(\d+)(?:号楼|号|栋|幢|座|单元))?")
_CODED = re.compile(r"(?<![a-z0-9])([a-z]\d{0,2})(市|县|区)")  # the data's anonymised A市, A6区
# Where a coded place can end: 市, 县 or 区 after a letter or digit (found by its first
# character, which the engine skips to; `_CODED` is then tried just before it).
_CODED_END = re.compile(r"[市县区](?<=[a-z0-9].)")


def place_terms(norm: str) -> list[str]:
    """Place names in a normalised text: the text has no word boundaries, so each place suffix
    (小区, 路, 镇, 学院 …) gives the name of its 2, 3 and 4 characters before it (住在阳光小区:
    阳光小区, 在阳光小区, 住在阳光小区; the one another text shares is the name), and, with the
    number that follows (28号, 2栋), the same names with that number (龙蟠中路#28)."""
    return [t for _, t in place_spans(norm)]


def place_spans(norm: str) -> list[tuple[int, str]]:
    """`place_terms` with the position each was found at (to tell the texts of a joined chunk
    apart: no place spans a NUL)."""
    return [(at, t) for at, names in place_groups(norm) for t in names]


def place_groups(norm: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """Each place found in a normalised text, in `place_spans`'s order: its position and its
    terms."""
    for m in _PLACE_RE.finditer(norm):
        yield m.start(), _place_names(m.groups())
    for q in _CODED_END.finditer(norm):
        end = q.end()
        for at in range(max(end - 4, 0), end - 1):  # a letter and up to two digits before it
            m = _CODED.match(norm, at)
            if m is not None and m.end() == end:  # (one ending sooner had its own turn)
                yield at, ("@w:" + m.group(1) + m.group(2),)
                break


@lru_cache(maxsize=65_536)
def _place_names(groups: tuple[str, str, str | None]) -> tuple[str, ...]:
    """A place's terms: its name of 2, 3 and 4 characters, each also with the number if any."""
    run, suffix, number = groups
    out = []
    for k in range(2, len(run) + 1):
        place = "@w:" + run[-k:] + suffix
        out.append(place)
        if number:
            out.append(f"{place}#{number}")
    return tuple(out)


# Where a text gives an address (not what it is about): a road or compound named with what
# stands before it (梦都大街18号, 月苑小区3栋), or in English a house number and the words up to a
# street type (45 Park Place, 2111 W Bellevue Ave, 63rd Ave). Schools, markets, parks and the
# like are left out: they are often the matter itself (幼儿园入学, a park's lawn); so are names
# with a word no name holds (那条路, 开发商修的路).
_NOT_IN_A_NAME = "的了在有是这那条个们上下里外面修和与及或就也还我你他她它要去到从把被说挡拦走过让带问堵占封马"
_ROAD_OR_COMPOUND_WORDS = "小区|花园|花苑|家园|新村|公寓|大厦|宿舍|新城|山庄|名苑|雅苑|大街|大道|胡同|路|街|巷|弄"
_ROAD_OR_COMPOUND = re.compile(  # (幸福家园小区: one place, its suffixes one after another)
    rf"(?:(?![{_NOT_IN_A_NAME}])[{HAN}]){{2,4}}?(?:{_ROAD_OR_COMPOUND_WORDS})+"
    r"(?![灯费况线过途人面口边上])(?:\d+(?:号楼|号|栋|幢|座|单元))?")
_HOUSE_AND_STREET = re.compile(
    r"(?<![a-z0-9])\d+(?:st|nd|rd|th|[a-z])?\s+(?:[a-z0-9]+\s+){0,3}?"
    rf"(?:{'|'.join(sorted(_STREET_WORDS, key=len, reverse=True))})(?![a-z0-9])")


def address_extents(norm: str) -> list[tuple[int, int]]:
    """(start, end) of each address a normalised text gives, in order, not overlapping."""
    found = sorted((m.start(), m.end()) for pattern in (_ROAD_OR_COMPOUND, _HOUSE_AND_STREET)
                   for m in pattern.finditer(norm))
    out: list[tuple[int, int]] = []
    for start, end in found:
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


# --- dictionary words (jieba's dictionary) --------------------------------------------------------
MIN_WORD_FREQ = 3  # dictionary entries seen fewer times than this in jieba's corpus are left out


def _dictionary_file():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dict.txt"
    return path if path.exists() else None


def _read_dictionary(path) -> dict[int, list[str]]:
    """jieba's words of two, three and four Han characters (seen MIN_WORD_FREQ times or more)."""
    han = re.compile(rf"[{HAN}]{{2,4}}")
    out: dict[int, list[str]] = {2: [], 3: [], 4: []}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split(" ", 2)
            if len(parts) >= 2 and han.fullmatch(parts[0]) and int(parts[1]) >= MIN_WORD_FREQ:
                out[len(parts[0])].append(parts[0])
    return out


@cache
def _dictionary() -> tuple[object, object, object]:
    """jieba's words of two, three and four characters as sorted arrays of their code points
    packed into integers. Read from the dictionary once, then from a cache file beside this
    user's other caches (about 3 MB, loaded in milliseconds: the first search after a start
    does not wait for the dictionary)."""
    import os
    from pathlib import Path

    import numpy as np

    empty = np.zeros(0, dtype=np.uint64)
    path = _dictionary_file()
    if path is None:
        return empty, empty, empty
    stat = path.stat()
    cache_dir = os.environ.get("HOTLINE_CACHE_DIR")
    if not cache_dir:
        from platformdirs import user_cache_dir

        cache_dir = user_cache_dir("hotline", appauthor=False)
    cached = Path(cache_dir) / f"jieba-words-{stat.st_size}-{stat.st_mtime_ns}-{MIN_WORD_FREQ}.npz"
    try:
        with np.load(cached) as data:
            return data["two"], data["three"], data["four"]
    except (OSError, KeyError, ValueError):
        pass
    words = _read_dictionary(path)
    arrays = []
    for size in (2, 3, 4):
        if not words[size]:
            arrays.append(empty)
            continue
        cp = np.frombuffer("".join(words[size]).encode("utf-32-le"), dtype=np.uint32)
        cp = cp.reshape(-1, size).astype(np.uint64)
        code = np.zeros(len(cp), dtype=np.uint64)
        for k in range(size):
            code = (code << np.uint64(16)) | cp[:, k]
        arrays.append(np.unique(code))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, two=arrays[0], three=arrays[1], four=arrays[2])
        os.replace(tmp, cached)
    except OSError:
        pass  # no cache: the next process reads the dictionary again
    return arrays[0], arrays[1], arrays[2]


def non_words(pairs: list[str]) -> set[str]:
    """The character pairs among `pairs` that are no two-character word of jieba's dictionary
    (的是, 灯不: a pair that straddles two words)."""
    import numpy as np

    two = _dictionary()[0]
    if not pairs or not len(two):
        return set()
    codes = np.array([(ord(p[0]) << 16) | ord(p[1]) for p in pairs], dtype=np.uint64)
    return {p for p, known in zip(pairs, _isin_sorted(codes, two).tolist(), strict=True)
            if not known}


def _pack(word: str) -> int:
    code = 0
    for ch in word:
        code = (code << 16) | ord(ch)
    return code


# --- one text -----------------------------------------------------------------------------------
_RUN_RE = re.compile(rf"[{HAN}]+")
_WORD_RE = re.compile(r"[a-z0-9]+")


def text_terms(norm: str) -> list[str]:
    """The text terms of one normalised text, boilerplate already cut (with repeats, in no set
    order): `bulk_terms` of a chunk of one, so that both paths agree by construction."""
    if not norm:
        return []
    _, term_ids, terms = bulk_terms([norm])
    return [terms[i] for i in term_ids.tolist()]


# --- a chunk of texts ---------------------------------------------------------------------------
def bulk_terms(norms: list[str]):
    """The text terms of many normalised texts: (doc, term) arrays and the term strings.

    Returns `(docs, term_ids, terms)`: for each token, the index of its text in `norms` and the
    index of its term in `terms`. The same tokens as `text_terms` of each text."""
    import numpy as np

    n = len(norms)
    joined = "\x00".join(norms) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lengths = np.fromiter(map(len, norms), dtype=np.int64, count=n) + 1
    doc_of = np.repeat(np.arange(n, dtype=np.int32), lengths)
    docs, codes = _han_codes(cp, doc_of)
    uniq, inverse = np.unique(codes, return_inverse=True)
    terms = _unpacked(uniq)
    term_ids = inverse.astype(np.int64)
    latin = _latin_words(joined, cp, doc_of, terms)
    if latin is not None:
        docs = np.concatenate([docs, latin[0]])
        term_ids = np.concatenate([term_ids, latin[1]])
    return docs.astype(np.int64), term_ids, terms


def _han_codes(cp, doc_of):
    """Every Han token of the chunk as (doc, packed code) arrays: character pairs (tag 1 in
    the top bits), lone characters (tag 2), then dictionary words of three and four
    characters (their packed code)."""
    import numpy as np

    han = (((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0x4E00) & (cp <= 0x9FFF))
           | ((cp >= 0xF900) & (cp <= 0xFAFF)))
    c64 = cp.astype(np.uint64)
    nxt = np.zeros_like(han)
    nxt[:-1] = han[1:]
    prv = np.zeros_like(han)
    prv[1:] = han[:-1]
    doc_parts, code_parts = [], []
    at = np.flatnonzero(han & nxt)
    doc_parts.append(doc_of[at])
    code_parts.append((np.uint64(1) << np.uint64(60)) | (c64[at] << np.uint64(16)) | c64[at + 1])
    at = np.flatnonzero(han & ~prv & ~nxt)
    doc_parts.append(doc_of[at])
    code_parts.append((np.uint64(2) << np.uint64(60)) | c64[at])
    _dictionary_words(han, nxt, c64, doc_of, doc_parts, code_parts)
    return np.concatenate(doc_parts), np.concatenate(code_parts)


def _dictionary_words(han, nxt, c64, doc_of, doc_parts: list, code_parts: list) -> None:
    """Append the dictionary's three- and four-character words found in the chunk (every
    run of three Han characters looked up in the sorted word arrays; the four-character
    candidates are the three-character starts followed by a fourth)."""
    import numpy as np

    _, three, four = _dictionary()
    if not len(three):
        return
    nxt2 = np.zeros_like(han)
    nxt2[:-2] = han[2:]
    at = np.flatnonzero(han & nxt & nxt2)
    code = (c64[at] << np.uint64(32)) | (c64[at + 1] << np.uint64(16)) | c64[at + 2]
    keep = _isin_sorted(code, three)
    doc_parts.append(doc_of[at[keep]])
    code_parts.append(code[keep] | (np.uint64(3) << np.uint64(60)))
    if len(four):
        nxt3 = np.zeros_like(han)
        nxt3[:-3] = han[3:]
        at = at[nxt3[at]]
        code = ((c64[at] << np.uint64(48)) | (c64[at + 1] << np.uint64(32))
                | (c64[at + 2] << np.uint64(16)) | c64[at + 3])
        keep = _isin_sorted(code, four)
        doc_parts.append(doc_of[at[keep]])
        code_parts.append(code[keep])  # four characters fill 64 bits: no tag, told by length


def _latin_words(joined: str, cp, doc_of, terms: list[str]):
    """Latin words and numbers: the runs of [a-z0-9] in the chunk (`_WORD_RE`'s words, in
    order), each distinct word mapped once (new word forms appended to `terms`, in the order
    the words first occur). (docs, term ids) of the kept words, or None when the chunk has
    none."""
    import numpy as np

    alnum = ((cp >= 97) & (cp <= 122)) | ((cp >= 48) & (cp <= 57))
    if not alnum.any():
        return None
    before = np.zeros_like(alnum)
    before[1:] = alnum[:-1]
    after = np.zeros_like(alnum)
    after[:-1] = alnum[1:]
    starts = np.flatnonzero(alnum & ~before)
    ends = np.flatnonzero(alnum & ~after) + 1
    codes = _word_codes(joined, cp, starts, ends)
    uniq, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # the distinct words as they first occur
    at = first[order]
    index: dict[str, int] = {}  # (no word form is one of the Han terms already in `terms`)
    found = []
    for a, b in zip(starts[at].tolist(), ends[at].tolist(), strict=True):
        w = joined[a:b]
        if w in STOPWORDS:
            found.append(-1)
            continue
        form = word_form(w)
        i = index.get(form)
        if i is None:
            i = index[form] = len(terms)
            terms.append(form)
        found.append(i)
    ids = np.empty(len(uniq), dtype=np.int64)
    ids[order] = found
    ids = ids[inverse.reshape(-1)]
    keep = ids >= 0
    return doc_of[starts[keep]], ids[keep]


_SHORT_WORD = 12  # letters of a word whose code is exact: 37**12 < 2**63


def _word_codes(joined: str, cp, starts, ends):
    """A 64-bit code per word, one-to-one: a word of up to 12 characters read as a number in
    base 37 (0-9 -> 1-10, a-z -> 11-36: no digit is 0, so no two words share a code); a longer
    one (rare) 2**63 plus its place among the distinct long words."""
    import numpy as np

    lengths = ends - starts
    code = np.zeros(len(starts), dtype=np.uint64)
    for k in range(_SHORT_WORD):
        on = np.flatnonzero(lengths > k)
        if not len(on):
            break
        c = cp[starts[on] + k].astype(np.int64)
        code[on] = code[on] * np.uint64(37) + np.where(c <= 57, c - 47, c - 86).astype(np.uint64)
    long = np.flatnonzero(lengths > _SHORT_WORD)
    if len(long):
        words = [joined[a:b] for a, b in zip(starts[long].tolist(), ends[long].tolist(),
                                             strict=True)]
        place = {w: i for i, w in enumerate(dict.fromkeys(words))}
        code[long] = np.uint64(1 << 63) + np.array([place[w] for w in words], dtype=np.uint64)
    return code


def _isin_sorted(values, table):
    import numpy as np

    pos = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[pos] == values


def _unpacked(codes) -> list[str]:
    """The term of each packed code (`_han_codes`: tag 1 a pair, 2 a lone character, 3 a word
    of three, no tag a word of four, its first character in the top bits), in numpy: the
    codes' characters as one string, cut by each term's length."""
    import numpy as np

    if not len(codes):
        return []
    mask = np.uint64(0xFFFF)
    tag = codes >> np.uint64(60)
    four = ((codes >> np.uint64(48)) & np.uint64(0xFFF)) != 0
    size = np.where(four, 4, np.select([tag == 1, tag == 2, tag == 3], [2, 1, 3], 4))
    chars = np.zeros((len(codes), 4), dtype=np.uint32)  # each term's characters, left-aligned
    for k in range(4):  # character k of a term of `size` characters sits at bits 16*(size-1-k)
        shift = (np.maximum(size - 1 - k, 0) * 16).astype(np.uint64)
        chars[:, k] = np.where(size > k, (codes >> shift) & mask, 0)
    flat = chars[np.arange(4) < size[:, None]]
    text = flat.tobytes().decode("utf-32-le")
    ends = np.cumsum(size).tolist()
    return [text[e - z:e] for e, z in zip(ends, size.tolist(), strict=True)]
