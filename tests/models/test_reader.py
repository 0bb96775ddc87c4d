"""The import's reading process (`parse._parse`): every value of a batch's rows and postings,
pinned for a few tricky records (its speed-ups must not change what it makes; the figures
were made by the code before them). Speed: benchmarks/bench_reader.py."""

from __future__ import annotations

import pytest

from models.domain.timeutil import DateParseError
from models.importing.parse import _parse, _Plan
from models.search.normalise import normalise
from models.search.tokens import place_spans

CSV = 'case_id,created_at,caller_phone,caller_name,address,district,category,department,status,title,description,resolved_at,resolution,satisfaction,lat,lon\nc1,2026-03-10 09:15:00,13812345678,王女士,阳光小区2栋,鼓楼区,马蜂窝,街道,open,,"尊敬的领导：您好！我家住在阳光小区2栋，楼下饭店油烟直排，A6区星沙镇a1区。请有关部门尽快处理，谢谢！",,,,,\n\n,2019/4/25 9:32:09,,,"2111 W Bellevue Ave, 90026",,,,已办结,Street light,"Street lights dark on W Bellevue Ave\n since Tuesday. ＦＵＬＬ\u3000ｗｉｄｔｈ １２３",43475,Fixed  it,  5 ,34.1,-118.2\nc3,not a date,,,addr,,,,open,,desc,,,,,\nc4,2026-03-10 09:00,,,addr,,,,open,,,,,,,\nc5,2026-03-10 09:00,,,addr,,,,open\nc6,2026-03-10 09:00,phone?,,addr,,,,open,,desc,,,,,\nc7,2026-03-10 09:00,,,addr,,,,open,,desc,,,,x,1\nc8,43474.5,withheld,"a\x1bb",龍蟠中路２８號,,,,weird,路燈不亮,路燈不亮 龍蟠中路２８號 no.28,2026-03-11 10:00:00+08:00,已处理,,,\n'

ROWS = [['c1', 'c1', 'import:hotline', '2026-03-10T01:15:00.000000Z', '2026-03-10T01:15:00.000000Z',
  '+8613812345678', False, '王女士', '', '尊敬的领导：您好！我家住在阳光小区2栋，楼下饭店油烟直排，A6区星沙镇a1区。请有关部门尽快处理，谢谢！',
  '阳光小区2栋', '鼓楼区', '马蜂窝', '街道', 'open', None, '', '', None, None, ''],
 ['IMP-FAEB194E', 'sha1:faeb194eb91ab377a99ff28f', 'import:hotline', '2019-04-25T01:32:09.000000Z',
  '2019-04-25T01:32:09.000000Z', '', True, '', 'Street light',
  'Street lights dark on W Bellevue Ave\n since Tuesday. ＦＵＬＬ\u3000ｗｉｄｔｈ １２３',
  '2111 W Bellevue Ave, 90026', '', '', '', 'resolved', '2019-01-09T16:00:00.000000Z', 'Fixed  it',
  '5', 34.1, -118.2, ''],
 ['c8', 'c8', 'import:hotline', '2019-01-09T04:00:00.000000Z', '2019-01-09T04:00:00.000000Z', '',
  True, 'ab', '路燈不亮', '路燈不亮 龍蟠中路２８號 no.28', '龍蟠中路２８號', '', '', '', 'open',
  '2026-03-11T02:00:00.000000Z', '已处理', '', None, None, '']]

REJECTED = [(6, "created_at: unrecognised date 'not a date'; use ISO 8601 (2026-03-10 09:15:00)"),
 (7, 'no description: the description column is empty'),
 (8, 'expected 16 columns, found 9: check the quoting of this row'),
 (9, "caller_phone 'phone?' is not a phone number"),
 (10, 'lat/lon must be decimal numbers')]

POSTINGS = {0: {'2': 150,
     '@a:阳光小区#2': 255,
     '@s:阳光小区': 255,
     '@w:a1区': 123,
     '@w:a6区': 123,
     '@w:住在阳光小区': 123,
     '@w:住在阳光小区#2': 123,
     '@w:区星沙镇': 123,
     '@w:在阳光小区': 123,
     '@w:在阳光小区#2': 123,
     '@w:星沙镇': 123,
     '@w:阳光小区': 123,
     '@w:阳光小区#2': 123,
     'a1': 95,
     'a6': 95,
     '下饭': 95,
     '住在': 95,
     '光小': 150,
     '区': 95,
     '区星': 95,
     '在阳': 95,
     '家住': 95,
     '小区': 150,
     '店油': 95,
     '我家': 95,
     '星沙': 95,
     '栋': 150,
     '楼下': 95,
     '沙镇': 95,
     '油烟': 95,
     '烟直': 95,
     '直排': 95,
     '阳光': 150,
     '饭店': 95},
 1: {'123': 128,
     '2111': 116,
     '90026': 116,
     '@a:2111 west bellevue avenue': 255,
     '@s:west bellevue avenue': 255,
     'avenue': 165,
     'bellevue': 165,
     'dark': 128,
     'full': 128,
     'light': 128,
     'since': 128,
     'street': 128,
     'tuesday': 128,
     'west': 165,
     'width': 128},
 2: {'28': 191,
     '@a:龙蟠中路#28': 255,
     '@s:龙蟠中路': 255,
     '@w:蟠中路': 144,
     '@w:蟠中路#28': 144,
     '@w:龙蟠中路': 144,
     '@w:龙蟠中路#28': 144,
     '不亮': 132,
     '中路': 167,
     '号': 167,
     '灯不': 132,
     '灯不亮': 132,
     '蟠中': 167,
     '路灯': 132,
     '龙蟠': 167}}

LENGTHS = [[0.0, 0.0, 0.0], [22.0, 11.0, 10.0], [5.0, 5.0, 5.0], [10.0, 0.0, 4.0]]
DISTINCT = [22, 13, 9]


def test_a_batch_keeps_every_value_of_its_rows_rejections_and_postings(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text(CSV, encoding="utf-8", newline="")
    name, batch = list(_parse(_Plan(str(path), "utf-8-sig", None, "Asia/Shanghai", {})))
    assert name == "hotline"
    assert [r[1:22] for r in batch.rows] == ROWS
    assert [(r.line, r.reason) for r in batch.rejected] == REJECTED
    assert batch.rows_read == 8  # the blank line is no record
    p = batch.postings
    per_doc: dict[int, dict[str, int]] = {}
    for d, t, w in zip(p.doc.tolist(), p.term.tolist(), p.weight.tolist(), strict=True):
        per_doc.setdefault(d, {})[p.terms[t]] = w
    assert per_doc == POSTINGS
    assert (p.lengths.tolist(), p.distinct.tolist()) == (LENGTHS, DISTINCT)


def test_a_long_text_normalises_as_a_short_one_does():
    # Long texts take a faster path (one-character NFKC forms first, in numpy).
    piece = "Ｆｕｌｌ　ｗｉｄｔｈ，ＡＢＣ１２３！路燈不亮…①㎡ cafe\u0301 Ａ\u0301 ﬁ ΣΑΣ \ud800"
    assert len(piece * 300) > 4096 and len(piece) < 512
    assert normalise(piece * 300) == normalise(piece) * 300
    assert normalise(piece).startswith("full width,abc123!路灯不亮...1m2 café á fi σας")


def test_places_of_a_joined_chunk_are_each_texts_places():
    texts = ["住在阳光小区2栋", "A6区星沙镇a1区b区", "龙蟠中路28号，x9县", "a1区b区c123区"]
    joined = "\x00".join(texts)
    at, expected = 0, []
    for t in texts:
        expected += [(p + at, term) for p, term in place_spans(t)]
        at += len(t) + 1
    assert sorted(place_spans(joined)) == sorted(expected)
    assert ("@w:b区" in {t for _, t in place_spans(texts[1])}
            and "@w:c123区" not in {t for _, t in place_spans(texts[3])})


def test_the_us_12_hour_dates_fast_form_reads_as_strptime_does():
    from datetime import datetime

    from models.domain.timeutil import _US_12H, DateParser

    parse = DateParser()
    parse("03/01/2011 02:27:57 PM")  # the parser now tries this format first
    for text in ("12/31/2011 12:00:00 AM", "12/31/2011 12:00:00 PM", "02/29/2012 11:59:59 PM",
                 "01/02/2011 01:02:03 am", "1/2/2011 1:02:03 PM", "01/02/2011  01:02:03 PM"):
        assert parse._parse(text) == datetime.strptime(text, _US_12H)
    for text in ("02/29/2011 11:59:59 PM", "13/01/2011 01:00:00 PM", "01/01/2011 00:00:00 AM"):
        with pytest.raises(DateParseError):
            parse(text)
