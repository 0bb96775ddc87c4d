"""Deterministic demo data modelled on the seed article (Nanjing's 12345) and the real 311 data.

The same seed gives the same cases, so screenshots and tests can rely on them. It has what the
field has: hornet nests on roads and inside compounds, dark street lights clustered on roads
nobody maintains, restaurant fumes, vanished prepaid-card shops, illegal construction,
overflowing septic tanks, repeat callers, and one problem reported by several callers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from models.cases import file_case_in, record_event_in
from models.domain.case_shape import CaseDraft
from models.domain.enums import EventKind
from models.domain.timeutil import from_db_text, now
from models.kb.demo import seed_demo_articles
from models.reference.catalogue import ensure_catalogue
from models.store.tables import Meta

from .store import Store

SEED_MARK = "demo_seeded"


@dataclass(frozen=True)
class Scenario:
    category: str
    location_kind: str
    lead: str
    co: tuple[str, ...]
    disposition: str
    zh: tuple[str, ...]  # description templates ({place} is the address)
    en: tuple[str, ...]
    weight: int


SCENARIOS = (
    Scenario("hornet_nest", "public_road", "street_office", ("traffic_police", "fire_brigade"),
             "dispatch",
             ("{place}路边梧桐树上有一个马蜂窝，行人经过很危险，请尽快处理。",
              "{place}人行道旁的树上有马蜂窝，已经有人被蜇了。"),
             ("A hornet nest in a plane tree by the road at {place}; people walking past are at risk.",
              "Hornets nesting in a street tree at {place}, someone was stung this morning."), 5),
    Scenario("hornet_nest", "residential_compound", "", (), "redirect_owners",
             ("{place}小区楼道窗外有马蜂窝，想请政府来摘除。",
              "{place}小区里的树上有个大马蜂窝，物业说不归他们管。"),
             ("A hornet nest outside a stairwell window inside the {place} compound.",
              "Big hornet nest in a tree inside the {place} residential compound."), 3),
    Scenario("street_light", "public_road", "street_light_office", (), "dispatch",
             ("{place}路灯不亮已经一个多星期了，晚上走路看不见。",
              "{place}一整排路灯晚上都不亮，这条路是开发商修的，没人管。",
              "{place}的路灯坏了，晚上很黑，老人孩子出行不安全。"),
             ("Street lights on {place} have been dark for over a week.",
              "The whole row of street lights at {place} is out at night; the developer built the road and nobody maintains it.",
              "Broken street light at {place}, very dark at night."), 9),
    Scenario("cooking_fumes", "business_premises", "ecology", ("market_regulation", "chengguan"),
             "dispatch",
             ("{place}楼下饭店油烟直排，家里窗户都不敢开。",
              "{place}一楼烧烤店油烟和噪音扰民，晚上开到凌晨。"),
             ("The restaurant below {place} vents cooking fumes straight up; we cannot open our windows.",
              "Barbecue shop at {place} smoke and noise until after midnight."), 5),
    Scenario("prepaid_card", "business_premises", "market_regulation", ("public_security",),
             "dispatch",
             ("{place}的健身房关门跑路了，我办的预付卡还有三千多元没用。",
              "{place}理发店突然关门，会员卡里的钱退不了。"),
             ("The gym at {place} closed overnight; I still have over 3,000 yuan on its prepaid card.",
              "Hair salon at {place} shut suddenly, no refund of the prepaid membership card."), 4),
    Scenario("illegal_construction", "residential_compound", "chengguan", ("housing_bureau",),
             "dispatch",
             ("{place}顶楼住户在楼顶私自搭建彩钢房。",
              "{place}一楼住户占用绿地违章搭建。"),
             ("A top-floor resident at {place} is building an illegal steel-sheet room on the roof.",
              "Ground-floor owner at {place} built an illegal extension over the green space."), 4),
    Scenario("septic_sewer", "residential_compound", "street_office", ("housing_bureau",),
             "dispatch",
             ("{place}家属楼化粪池漫溢，污水流到路上，臭气熏天。",
              "{place}下水道堵塞，化粪池满了没人清掏。"),
             ("The septic tank of the staff housing at {place} is overflowing onto the path.",
              "Sewer blocked at {place}; the septic tank is full and nobody empties it."), 3),
    Scenario("road_damage", "public_road", "construction", (), "dispatch",
             ("{place}路面有个大坑，电动车经过很容易摔倒。",),
             ("A deep pothole on {place}; scooters keep falling.",), 3),
    Scenario("noise", "residential_compound", "ecology", (), "dispatch",
             ("{place}附近工地夜间施工噪音很大，影响休息。",),
             ("Night-time construction noise near {place} keeps residents awake.",), 3),
    Scenario("legal", "other", "", (), "redirect_court",
             ("法院判决后对方一直不执行，想问12345能不能帮忙催。",),
             ("The other side ignores a court judgment; can 12345 enforce it?",), 1),
    Scenario("consumer_dispute", "business_premises", "", (), "redirect_market",
             ("在{place}买的家电有质量问题，商家不给退换，想让政府出面。",),
             ("Appliance bought at {place} is faulty and the shop refuses a refund.",), 1),
    Scenario("heating_water", "residential_compound", "", (), "answered",
             ("{place}停水了，想问什么时候恢复供水。",),
             ("No water at {place}; when will supply be restored?",), 2),
)

PLACES_ZH = (
    "大杨村28号", "芦席营22号", "龙蟠中路", "中山东路318号", "汉中门大街", "集庆门大街",
    "江东北路", "月苑小区", "清凉门大街", "虎踞路", "草场门大街", "湖南路", "应天大街",
    "双龙大道", "梦都大街", "凤台南路", "卡子门大街", "宁海路", "北京西路", "幸福家园小区",
)
PLACES_EN = (
    "186 25th Street", "2111 W Bellevue Ave", "Main Street & 63rd Ave", "6122 E Mesa Ave",
    "133rd Ave & 231st Street", "45 Park Place", "Broadway & W 96th St", "1200 Maple Ave",
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
NAMES_EN = ("Maria Lopez", "John Smith", "Aisha Khan", "Wei Chen", "Sam O'Brien", "Rosa Diaz")

# One street-light cluster: many callers, one road nobody maintains (the seed's lesson).
CLUSTER_PLACE = "梦都大街"


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def generate_drafts(count: int = 400, seed: int = 12345, days: int = 45,
                    end: datetime | None = None) -> list[tuple[datetime, CaseDraft, str]]:
    """(created_at, draft, outcome) triples, oldest first; outcome drives the demo timeline."""
    rng = random.Random(seed)
    end = end or now()
    regulars = [_phone(rng) for _ in range(25)]  # repeat callers
    regular_names = {p: rng.choice(SURNAMES) + rng.choice(("女士", "先生")) for p in regulars}
    regular_names_en = {p: rng.choice(NAMES_EN) for p in regulars}
    weights = [s.weight for s in SCENARIOS]
    out: list[tuple[datetime, CaseDraft, str]] = []
    for i in range(count):
        english = rng.random() < 0.2
        scenario = SCENARIOS[rng.choices(range(len(SCENARIOS)), weights)[0]]
        if not english and scenario.category == "street_light" and rng.random() < 0.4:
            place = CLUSTER_PLACE
        else:
            place = rng.choice(PLACES_EN if english else PLACES_ZH)
        template = rng.choice(scenario.en if english else scenario.zh)
        if rng.random() < 0.3:
            phone = rng.choice(regulars)
            name = (regular_names_en if english else regular_names)[phone]
        elif rng.random() < 0.05:
            phone, name = "", ""  # withheld number
        else:
            phone = _phone(rng)
            name = rng.choice(NAMES_EN) if english else rng.choice(SURNAMES) + rng.choice(("女士", "先生"))
        at = end - timedelta(days=days) + timedelta(seconds=(days * 86400) * i / count
                                                    + rng.randrange(600))
        outcome = rng.choices(("open", "resolved", "returned", "callback"), (4, 4, 1, 2))[0]
        out.append((at, CaseDraft(
            caller_phone=phone, caller_name=name, description=template.format(place=place),
            address=place, location_kind=scenario.location_kind, category=scenario.category,
            urgency="urgent" if scenario.category == "hornet_nest" else "normal",
            disposition=scenario.disposition, lead_department=scenario.lead,
            co_departments=list(scenario.co),
        ), outcome))
    return out


def seed_demo(store: Store, count: int = 400, seed: int = 12345, agent: str = "demo",
              end: datetime | None = None) -> int:
    """Fill a store with demo cases once; returns how many were added (0 if already seeded).

    The demo knowledge articles and quick phrases are loaded every time (adding nothing when
    they are there), so a demo store made before they existed gets them too."""
    seed_demo_articles(store)
    if store.get_meta(SEED_MARK):
        return 0
    with store.writer() as session:
        ensure_catalogue(session)
    with store.writer() as session:
        end = end or now()
        for at, draft, outcome in generate_drafts(count, seed, end=end):
            case = file_case_in(session, store, draft, agent, at)
            _play_outcome(session, case, outcome, at, end)
        session.add(Meta(key=SEED_MARK, value=str(count)))
        session.commit()
    _answer_from_articles(store, agent)
    return count


def _answer_from_articles(store: Store, agent: str) -> None:
    """The demo's calls answered directly name the article that answered them, when one does."""
    from models.kb import KnowledgeSearch, record_answer_in

    engine = KnowledgeSearch(store)
    try:
        with store.raw() as conn:
            cases = conn.execute('SELECT id, description, created_at FROM "case" '
                                 "WHERE disposition = 'answered' ORDER BY created_at").fetchall()
            answers = [(cid, text, at, engine.search(text, limit=1)) for cid, text, at in cases]
            conn.execute("BEGIN IMMEDIATE")
            for case_id, text, at, hits in answers:
                if hits and hits[0].strong:
                    record_answer_in(conn, case_id, text, hits[0].id, hits[0].version,
                                     agent=agent, lang=hits[0].lang, at=from_db_text(at))
            conn.execute("COMMIT")
    finally:
        engine.close()


def _play_outcome(session: Session, case, outcome: str, at: datetime, end: datetime) -> None:
    if case.disposition != "dispatch" or outcome == "open":
        return
    later = at + timedelta(hours=20)
    if later + timedelta(hours=4) > end:
        return  # too recent to have an outcome yet
    if outcome == "returned":
        record_event_in(session, case, EventKind.RETURNED, case.lead_department, later,
                        "非本单位职责范围 / Not our jurisdiction",
                        {"reason": "not_our_jurisdiction", "department": case.lead_department})
        return
    record_event_in(session, case, EventKind.RESOLVED, case.lead_department, later,
                    "已现场处理完毕 / Handled on site")
    if outcome == "callback":
        record_event_in(session, case, EventKind.CALLBACK, "demo", later + timedelta(hours=4),
                        "来电人表示满意 / Caller satisfied", {"satisfaction": "satisfied"})
