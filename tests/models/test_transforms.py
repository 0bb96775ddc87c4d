"""The importer's named transforms, on snippets of real replies (../shared/data/real)."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from models.importing.transforms import agency_from_reply, strip

from ..conftest import real_file

# Snippets of official replies from gov_messages_zh_with_replies.csv, and the agency each names.
REPLIES = [
    # Signed at the end, before the date: the signature wins over bodies named in the text.
    ("订黄星、榔梨、干杉等区域的城乡公交一体化改造方案，从而整体解决黄榔片区人民群众的出行需求。"
     "\u3000\u3000感谢您对我们工作的理解与支持！ A7县交通运输局2013年8月22日 ", "A7县交通运输局"),
    ("未整改，我局将联合环保部门进行执法，加大监管和执法的力度。今后如您再次遇到城市管理相关问题，"
     "欢迎您致电城管服务热线12319，我局将热忱为您服务。 A7县城管局 2013年2月6日 ", "A7县城管局"),
    # Transferred: the lead-in verb is not part of the name.
    ("您的留言已收悉。关于您反映的问题，已转市人社局调查处理。", "市人社局"),
    # A preposition before a provincial body.
    ("您好！您的留言已收悉。现将有关情况回复如下：\u3000\u3000根据西地省物价局《关于印发西地省机动车"
     "驾驶许可培训收费行为规则的通知》（楚价服[2014]93号）文件精神", "西地省物价局"),
    # A doubled level is one: "K11县县公安局" is K11县公安局.
    ("我们已将该事通报K11县县公安局交警大队，您可以直接联系K11县县公安局交警大队车管所咨询办理。",
     "K11县公安局"),
    # Only a company is named: no agency.
    ("网友：\u3000\u3000您好，您反映的问题已转至市移动通信公司，感谢您的问政。\xa0\xa02016年5月6日", ""),
    # Words that merely end in 局 or 中心 are not agencies.
    ("spaceplus酒吧经营范围为第三、四层局部，装修面积2800平方米，使用性质为酒吧。", ""),
    ("要求结合学校布局、集镇布局和其他相关发展规划，统筹考虑全县教师住房问题。", ""),
    ("第二天我们置业顾问亲自陪客户前往公积金中心去咨询是否可以贷到款。", ""),
    # "我局" is a self-reference, not a name.
    ("我局已与工务局联系，将督促该路段施工单位在3天内做好围挡。", "工务局"),
]


@pytest.mark.parametrize(("reply", "agency"), REPLIES)
def test_agency_from_reply_returns_clean_names(reply, agency):
    assert agency_from_reply(reply) == agency


def test_agency_names_from_the_real_replies_are_few_and_clean():
    path = real_file("gov_messages_zh_with_replies.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        names = [agency_from_reply(row["答复意见"]) for row in csv.DictReader(f)]
    found = Counter(n for n in names if n)
    assert sum(found.values()) > 1400  # most replies name their agency
    assert len(found) < 1000  # the old extractor gave ~1,200 distinct fragments
    lead_ins = ("根据", "前往", "顾问", "已转", "按照", "要求", "同时", "我", "本")
    assert not [n for n in found if n.startswith(lead_ins)]
    assert not [n for n in found if n.endswith(("公司", "集团", "布局", "业主委员会"))]
    assert found["A7县教育局"] >= 10 and found["市人社局"] >= 5


def test_strip_collapses_whitespace():
    assert strip("  A  b\n c ") == "A b c"
