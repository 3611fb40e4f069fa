"""A live feed for demonstrations and load tests: ``python -m civdata simulate``.

Writes realistic events - new problems near evaluation sites, workflow transitions on open
problems, problems found again, renovation progress, market inspections and volunteer
activities - each in its own short transaction through the ordinary write functions, as the
role that does it in reality, so permissions, validation, audit rows and the data-version marks
all apply. Events arrive as a Poisson process at the given rate; a seed makes a run repeatable.
Everything is drawn from what the database holds (sites, classes, markets, projects, teams).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from civdata import texts
from civdata.core import models as m
from civdata.core.auth import Actor
from civdata.core.clock import now_local, today_local
from civdata.core.db import session_scope
from civdata.core.errors import CivDataError
from civdata.core.query import problem_is_open
from civdata.domain import geo, markets, renovation, volunteers, workflow

SIM_PREFIX = "sim-"  # user names of the simulated actors: audit rows show what was simulated
OFFICE = Actor(username=f"{SIM_PREFIX}office", role="office", display_name="模拟：区文明办")
MARKET = Actor(username=f"{SIM_PREFIX}market", role="market", display_name="模拟：市场监管局")

# Share of events by kind (relative weights); a kind with nothing to act on passes its turn on.
EVENT_WEIGHTS: dict[str, int] = {"report": 18, "transition": 50, "reopen": 2, "inspection": 10,
                                 "progress": 8, "activity": 12}
KINDS = ("report", "assign", "start", "submit", "accept", "reject", "reopen", "progress",
         "inspection", "activity")
ACCEPT_SHARE = 0.85  # reviews that pass; the rest are sent back to rectification
ITEM_FAIL_SHARE = 0.09  # chance that a checklist item falls below its threshold (about half of
REINSPECTION_ITEM_FAIL_SHARE = 0.03  # the sample's inspections have a finding)
FED_BACK_SHARE = 0.9
START_PROJECT_SHARE = 0.1  # progress events that start a project still in planning or bidding
PARTNER_SHARE = 0.25
HOME_COMMUNITY_SHARE = 0.6
SITE_PROBLEM_UNIT_SHARE = 0.5  # assignments to one of the site's "1+3+N" units (else the street)
DESCRIPTION_LIMIT = 2000  # distinct problem descriptions read as phrases
TITLE_LIMIT = 500
POINT_TRIES = 12

FALLBACK_PHRASES = {
    "infrastructure": ("路灯不亮", "护栏损坏", "井盖缺失", "路面破损", "盲道被占", "垃圾箱破损"),
    "sanitation": ("卫生死角", "地面有垃圾", "乱贴小广告", "垃圾未分类", "积水", "公厕不洁"),
    "service_management": ("物业管理缺位", "服务窗口无引导", "便民设施缺失", "无障碍设施缺失"),
    "public_order": ("占道经营", "店外经营", "乱停乱放", "非机动车乱停", "车辆逆行"),
    "publicity": ("公益广告缺失", "宣传内容过期", "宣传栏破旧", "公益广告比例不足"),
    "civilized_quality": ("乱扔烟头", "闯红灯", "随地吐痰", "不文明养犬", "吸烟"),
}
GENERIC_PHRASE = "现场检查发现问题"
SUBMIT_NOTES = ("已清理完毕，现场恢复整洁", "已完成维修，附整改说明", "已约谈商户并现场整改到位",
                "已安排专人每日巡查，问题已消除", "已更换破损设施", "已张贴新的公益广告")
REJECT_REASONS = ("复核发现整改不彻底，现场仍有问题", "整改说明与现场情况不符",
                  "问题反复出现，需建立长效机制后再提交", "缺少整改后照片，请补充")
ACCEPT_NOTES = ("复核通过", "现场复核，整改到位", None)
PROGRESS_NOTES = {
    "bidding": ("招标公告已发布", "完成招标文件编制"),
    "under_construction": ("管网改造施工中", "外立面改造施工中", "道路铺装施工中",
                           "绿化及口袋公园施工中", "屋面防水施工中", "进场施工，围挡已设置"),
    "completed": ("已完工，待验收", "竣工验收通过"),
}
ACTIVITY_TITLES = ("为老人义务理发", "走访慰问老人", "端午节包粽子", "重阳节敬老", "垃圾分类宣传",
                   "文明交通劝导", "环境清扫", "理论宣讲进社区", "科普讲座", "义诊")
# the feed's words are the texts "simulate.*" (civdata/texts/cli.py) and the vocabulary's


@dataclass(frozen=True)
class Event:
    """One simulated write: its kind, the code of the record, a line of detail in zh and en."""

    kind: str
    code: str
    detail_zh: str
    detail_en: str
    raised: int = 0  # problems an inspection raised
    closed: int = 0  # problems a passing re-inspection closed
    steps: int = 0  # transitions that closing took

    def line(self, lang: str) -> str:
        """Return the event as one printable line in lang."""
        label = kind_label(self.kind, lang)
        detail = self.detail_zh if lang == "zh" else self.detail_en
        return f"{now_local():%H:%M:%S}  {label:<12} {self.code:<14} {detail}"


@dataclass
class SimulationResult:
    """What a run wrote: events per kind, their side effects, skips, the seed."""

    seed: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    raised_by_inspections: int = 0
    closed_by_reinspections: int = 0
    reinspection_transitions: int = 0
    skipped: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Return the number of events written."""
        return sum(self.counts.values())

    def add(self, event: Event) -> None:
        """Count one written event and its side effects."""
        self.counts[event.kind] = self.counts.get(event.kind, 0) + 1
        self.raised_by_inspections += event.raised
        self.closed_by_reinspections += event.closed
        self.reinspection_transitions += event.steps


@dataclass(frozen=True)
class SiteRef:
    """An evaluation site as the simulator needs it."""

    id: int
    code: str
    name_zh: str
    name_en: str
    subdistrict_id: int
    lat: float
    lon: float
    radius_m: float
    units: tuple[str, ...]


@dataclass(frozen=True)
class TeamRef:
    """A volunteer team as the simulator needs it."""

    id: int
    code: str
    name_zh: str
    name_en: str
    subdistrict_id: int
    community_id: int | None
    members: int


@dataclass(frozen=True)
class World:
    """What the database holds that events are drawn from (read once per run)."""

    subdistricts: dict[int, tuple[str, str, str]]  # id -> code, name_zh, name_en
    boundaries: dict[int, BaseGeometry]
    outline: BaseGeometry
    sites: tuple[SiteRef, ...]
    classes: tuple[str, ...]
    class_weights: tuple[int, ...]
    class_names: dict[str, tuple[str, str]]
    phrases: dict[str, tuple[str, ...]]
    sources: tuple[str, ...]
    source_weights: tuple[int, ...]
    markets: tuple[tuple[int, str, str, str], ...]  # id, code, name_zh, name_en
    checklist: tuple[tuple[str, float, float], ...]  # code, max points, threshold
    inspectors: tuple[str, ...]
    vehicles: tuple[str, ...]
    teams: tuple[TeamRef, ...]
    communities: dict[int, tuple[int, str, str]]  # id -> subdistrict id, name_zh, name_en
    partners: tuple[tuple[int, int | None], ...]  # id, subdistrict id
    titles: tuple[str, ...]

    def staff(self, subdistrict_id: int) -> Actor:
        """Return the simulated staff member of a subdistrict."""
        code, name_zh, _ = self.subdistricts[subdistrict_id]
        return Actor(username=f"{SIM_PREFIX}{code}", role="subdistrict",
                     subdistrict_id=subdistrict_id, display_name=f"模拟：{name_zh}街道")


# ---------------------------------------------------------------- reading the world

def _subdistrict_rows(session: Session) -> list[tuple[int, str, str, str, str]]:
    """Return every subdistrict: id, code, names, boundary GeoJSON."""
    return [tuple(r) for r in session.execute(
        select(m.Subdistrict.id, m.Subdistrict.code, m.Subdistrict.name_zh,
               m.Subdistrict.name_en, m.Subdistrict.boundary_geojson)
        .order_by(m.Subdistrict.id)).all()]


def _site_refs(session: Session) -> tuple[SiteRef, ...]:
    """Return every site with its check radius and its three responsible units."""
    rows = session.execute(
        select(m.Site.id, m.Site.code, m.Site.name_zh, m.Site.name_en, m.Site.subdistrict_id,
               m.Site.lat, m.Site.lon, m.SiteCategory.radius_m, m.Site.unit_1, m.Site.unit_2,
               m.Site.unit_3)
        .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
        .order_by(m.Site.id)).all()
    return tuple(SiteRef(int(r[0]), r[1], r[2], r[3], int(r[4]), float(r[5]), float(r[6]),
                         float(r[7] or geo.CHECK_RADIUS_M), tuple(u for u in r[8:11] if u))
                 for r in rows)


def _class_mix(session: Session) -> list[tuple[str, str, str, int]]:
    """Return every problem class (code, names) with its number of problems so far."""
    return [(r[0], r[1], r[2], int(r[3])) for r in session.execute(
        select(m.ProblemClass.code, m.ProblemClass.name_zh, m.ProblemClass.name_en,
               func.count(m.Problem.id))
        .outerjoin(m.Problem, m.Problem.class_id == m.ProblemClass.id)
        .group_by(m.ProblemClass.code, m.ProblemClass.name_zh, m.ProblemClass.name_en)
        .order_by(m.ProblemClass.code)).all()]


def _source_mix(session: Session) -> dict[str, int]:
    """Return the problems per source, leaving out those raised by market inspections."""
    return {r[0]: int(r[1]) for r in session.execute(
        select(m.Problem.source, func.count(m.Problem.id))
        .where(m.Problem.source != "market_inspection")
        .group_by(m.Problem.source).order_by(m.Problem.source)).all()}


def _problem_phrases(session: Session) -> dict[str, tuple[str, ...]]:
    """Return per class code the short descriptions people wrote (not market or simulated)."""
    rows = session.execute(
        select(m.ProblemClass.code, m.Problem.description)
        .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
        .where(m.Problem.source != "market_inspection",
               func.length(m.Problem.description) <= 40,
               func.coalesce(m.Problem.created_by, "").not_like(f"{SIM_PREFIX}%"))
        .group_by(m.ProblemClass.code, m.Problem.description)
        .order_by(m.ProblemClass.code, m.Problem.description)
        .limit(DESCRIPTION_LIMIT)).all()
    phrases: dict[str, list[str]] = {}
    for code, text in rows:
        phrases.setdefault(code, []).append(text)
    return {k: tuple(v) for k, v in phrases.items()}


def _market_refs(session: Session) -> tuple[tuple[int, str, str, str], ...]:
    """Return every market: id, code, names."""
    return tuple((int(r[0]), r[1], r[2], r[3]) for r in session.execute(
        select(m.Market.id, m.Market.code, m.Market.name_zh, m.Market.name_en)
        .order_by(m.Market.id)).all())


def _team_refs(session: Session) -> tuple[TeamRef, ...]:
    """Return every volunteer team."""
    return tuple(TeamRef(int(r[0]), r[1], r[2], r[3], int(r[4]),
                         None if r[5] is None else int(r[5]), int(r[6] or 0))
                 for r in session.execute(
                     select(m.VolunteerTeam.id, m.VolunteerTeam.code, m.VolunteerTeam.name_zh,
                            m.VolunteerTeam.name_en, m.VolunteerTeam.subdistrict_id,
                            m.VolunteerTeam.community_id, m.VolunteerTeam.members)
                     .order_by(m.VolunteerTeam.id)).all())


def _community_refs(session: Session) -> dict[int, tuple[int, str, str]]:
    """Return every community: id -> subdistrict id, names."""
    return {int(r[0]): (int(r[1]), r[2], r[3]) for r in session.execute(
        select(m.Community.id, m.Community.subdistrict_id, m.Community.name_zh,
               m.Community.name_en).order_by(m.Community.id)).all()}


def _partner_refs(session: Session) -> tuple[tuple[int, int | None], ...]:
    """Return every partner organisation: id, subdistrict id."""
    return tuple((int(r[0]), None if r[1] is None else int(r[1])) for r in session.execute(
        select(m.PartnerOrg.id, m.PartnerOrg.subdistrict_id).order_by(m.PartnerOrg.id)).all())


def _activity_titles(session: Session) -> tuple[str, ...]:
    """Return the distinct titles of recorded volunteer activities (not simulated ones)."""
    return tuple(r[0] for r in session.execute(
        select(m.VolunteerActivity.title)
        .where(func.coalesce(m.VolunteerActivity.created_by, "").not_like(f"{SIM_PREFIX}%"))
        .group_by(m.VolunteerActivity.title).order_by(m.VolunteerActivity.title)
        .limit(TITLE_LIMIT)).all())


def load_world(session: Session) -> World:
    """Return what the database holds to simulate on; raise simulate_no_data when it is empty."""
    subs = _subdistrict_rows(session)
    sites = _site_refs(session)
    classes = _class_mix(session)
    if not subs or not sites or not classes:
        raise CivDataError("simulate_no_data")
    sources = _source_mix(session) or dict.fromkeys(
        ("daily_inspection", "spot_check", "third_party", "public_report"), 1)
    items = markets.checklist_items(session)
    staff = markets.staff_names(session)
    inspectors = tuple(staff.loc[staff["kind"] == "market_inspector", "name"]) or ("市场检查员",)
    return World(
        subdistricts={r[0]: (r[1], r[2], r[3]) for r in subs},
        boundaries={r[0]: geo.geometry_from_geojson(r[4]) for r in subs if r[4]},
        outline=geo.district_outline(),
        sites=sites,
        classes=tuple(c[0] for c in classes),
        class_weights=tuple(c[3] + 1 for c in classes),
        class_names={c[0]: (c[1], c[2]) for c in classes},
        phrases=_problem_phrases(session),
        sources=tuple(sources),
        source_weights=tuple(n + 1 for n in sources.values()),
        markets=_market_refs(session),
        checklist=tuple((str(r.code), float(r.max_points), float(r.threshold))
                        for r in items.itertuples(index=False)),
        inspectors=inspectors,
        vehicles=tuple(staff.loc[staff["kind"] == "inspection_vehicle", "name"]),
        teams=_team_refs(session),
        communities=_community_refs(session),
        partners=_partner_refs(session),
        titles=_activity_titles(session) or ACTIVITY_TITLES,
    )


# ---------------------------------------------------------------- pure helpers

def arrival_offsets(rate_per_minute: float, minutes: float, rng: random.Random) -> Iterator[float]:
    """Yield the seconds from the start at which events arrive (a Poisson process)."""
    window = minutes * 60.0
    t = rng.expovariate(rate_per_minute / 60.0)
    while t < window:
        yield t
        t += rng.expovariate(rate_per_minute / 60.0)


def item_score(rng: random.Random, max_points: float, threshold: float, fail_share: float) -> float:
    """Return a plausible checklist score in half points: below threshold with fail_share."""
    if threshold > 0 and rng.random() < fail_share:
        value = rng.uniform(threshold * 0.6, threshold - 0.5)
        return max(0.0, min(threshold - 0.5, round(value * 2) / 2))
    value = threshold + (max_points - threshold) * rng.betavariate(1.5, 1.5)
    return max(threshold, min(max_points, round(value * 2) / 2))


def offset_point(lat: float, lon: float, distance_m: float, bearing: float) -> tuple[float, float]:
    """Return the point distance_m from (lat, lon) towards bearing (radians from north)."""
    dlat = distance_m * math.cos(bearing) / 111_320.0
    dlon = distance_m * math.sin(bearing) / (111_320.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def _covers(geometry: BaseGeometry | None, lat: float, lon: float) -> bool:
    """Return True when geometry (None: no limit) covers the point."""
    return geometry is None or bool(geo.points_inside(geometry, [lon], [lat])[0])


def point_near(site: SiteRef, world: World, rng: random.Random) -> tuple[float, float, int] | None:
    """Return (lat, lon, metres) of a point within the site's check radius, inside its
    subdistrict and the district outline; the site itself when no drawn point is; else None."""
    for _ in range(POINT_TRIES):
        distance = site.radius_m * 0.9 * math.sqrt(rng.random())
        lat, lon = offset_point(site.lat, site.lon, distance, rng.uniform(0.0, 2 * math.pi))
        if _covers(world.boundaries.get(site.subdistrict_id), lat, lon) \
                and _covers(world.outline, lat, lon):
            return lat, lon, int(round(distance))
    return (site.lat, site.lon, 0) if _covers(world.outline, site.lat, site.lon) else None


def _pair(names: dict[str, tuple[str, str]], key: str) -> tuple[str, str]:
    """Return the (zh, en) names of key, or key twice."""
    return names.get(key, (key, key))


def kind_label(kind: str, lang: str) -> str:
    """Return the name of an event kind in lang (a workflow action's lower-case in English)."""
    key = f"workflow.action.{kind}"
    return texts.text(key if key in texts.catalogue() else f"simulate.kind.{kind}", lang)


def _names(key: str) -> tuple[str, str]:
    """Return the (zh, en) texts of a vocabulary key, English lower-cased (inside a line)."""
    zh, en = texts.both(key)
    return zh, en.lower()


# ---------------------------------------------------------------- one event of each kind

_PROBLEM_ROW = (m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.version,
                m.Problem.source, m.Problem.subdistrict_id, m.Problem.site_id,
                m.Problem.market_id, m.Problem.description)


def _random_problem_to_advance(session: Session, rng: random.Random):
    """Return an open problem to move one step: first a state that has problems (each state of
    the loop equally likely, so a review or a rejection is as near as an assignment however many
    problems wait in one state), then a problem drawn uniformly in it; None when none is open."""
    is_open = problem_is_open()
    counts = dict(session.execute(select(m.Problem.status, func.count(m.Problem.id))
                                  .where(is_open).group_by(m.Problem.status)).all())
    states = [tr.from_status for tr in workflow.TRANSITIONS.values()]
    states = [st for st in dict.fromkeys(states) if counts.get(st, 0) > 0]
    if not states:
        return None
    state = rng.choice(states)
    return session.execute(select(*_PROBLEM_ROW).where(is_open, m.Problem.status == state)
                           .order_by(m.Problem.id).offset(rng.randrange(counts[state]))
                           .limit(1)).first()


def _random_closed_problem(session: Session, rng: random.Random):
    """Return a closed problem: the first at or after a random id (closed problems are most of
    the table, so this is near uniform and never counts them), or None."""
    low, high = session.execute(select(func.min(m.Problem.id), func.max(m.Problem.id))).one()
    if low is None:
        return None
    pivot = rng.randint(int(low), int(high))
    closed = m.Problem.status == "closed"
    return session.execute(select(*_PROBLEM_ROW).where(closed, m.Problem.id >= pivot)
                           .order_by(m.Problem.id).limit(1)).first() \
        or session.execute(select(*_PROBLEM_ROW).where(closed)
                           .order_by(m.Problem.id).limit(1)).first()


def report_new_problem(session: Session, world: World, rng: random.Random) -> Event | None:
    """Report a new problem at a point near a site (grid staff or the office, by source)."""
    place = None
    for _ in range(POINT_TRIES):  # a site on the district's edge may offer no point inside
        site = rng.choice(world.sites)
        place = point_near(site, world, rng)
        if place is not None:
            break
    if place is None:
        return None
    lat, lon, metres = place
    cls = rng.choices(world.classes, world.class_weights)[0]
    source = rng.choices(world.sources, world.source_weights)[0]
    phrase = rng.choice(world.phrases.get(cls) or FALLBACK_PHRASES.get(cls) or (GENERIC_PHRASE,))
    where = f"{site.name_zh}周边约{metres}米" if metres >= 10 else site.name_zh
    actor = world.staff(site.subdistrict_id) if source == "daily_inspection" else OFFICE
    problem = workflow.report_problem(
        session, actor, subdistrict_id=site.subdistrict_id, class_code=cls, lat=lat, lon=lon,
        description=f"{where}：{phrase}", source=source, site_id=site.id)
    cls_zh, cls_en = _pair(world.class_names, cls)
    src_zh, src_en = _names(f"problem.source.{source}")
    _, sub_zh, sub_en = world.subdistricts[site.subdistrict_id]
    return Event("report", problem.code,
                 f"{cls_zh} · {sub_zh} · {where} · {phrase}（{src_zh}）",
                 f"{cls_en} · {sub_en} · {site.code} +{metres} m · {src_en}")


def _responsible_unit(session: Session, world: World, rng: random.Random, row) -> str:
    """Return the unit a problem is assigned to: the market, a site unit or the subdistrict."""
    if row.market_id is not None:
        name = session.scalar(select(m.Market.name_zh).where(m.Market.id == row.market_id))
        return f"{name}市场方"
    site = next((s for s in world.sites if s.id == row.site_id), None)
    if site is not None and site.units and rng.random() < SITE_PROBLEM_UNIT_SHARE:
        return rng.choice(site.units)
    return f"{world.subdistricts[row.subdistrict_id][1]}街道"


def _transition_actor(world: World, action: str, row) -> Actor:
    """Return who makes action on a problem: the market bureau for its own findings, else the
    office assigns and reviews and the subdistrict's staff rectify."""
    if row.source == "market_inspection":
        return MARKET
    if action in ("start", "submit"):
        return world.staff(row.subdistrict_id)
    return OFFICE


AFTER_PHOTO_COLOURS = ((126, 140, 152), (150, 160, 140), (170, 160, 150), (110, 130, 120),
                       (160, 150, 130), (140, 140, 160))


def _photo_bytes(colour: tuple[int, int, int]) -> bytes:
    """Return a small JPEG: a street-grey gradient in colour (a stand-in after-photo)."""
    import io

    from PIL import Image

    image = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    tint = Image.new("RGB", image.size, colour)
    out = io.BytesIO()
    Image.blend(image, tint, 0.7).save(out, "JPEG", quality=70)
    return out.getvalue()


def after_photo(rng: random.Random) -> str:
    """Store one of a few stand-in after-photos (the same bytes keep one file); return its name."""
    from civdata.io.photos import store_photo

    return store_photo(_photo_bytes(rng.choice(AFTER_PHOTO_COLOURS)))


def advance_open_problem(session: Session, world: World, rng: random.Random) -> Event | None:
    """Move an open problem one step along the loop: a state drawn first, then a problem in it
    (most reviews pass, some reject)."""
    row = _random_problem_to_advance(session, rng)
    if row is None:
        return None
    action = workflow.actions_from(row.status)[0]
    if row.status == "submitted":
        action = "accept" if rng.random() < ACCEPT_SHARE else "reject"
    extra: dict[str, str | None] = {}
    if action == "assign":
        extra["responsible_unit"] = _responsible_unit(session, world, rng, row)
    elif action == "submit":
        extra["note"] = rng.choice(SUBMIT_NOTES)
        extra["photo_after"] = after_photo(rng)
    elif action == "reject":
        extra["note"] = rng.choice(REJECT_REASONS)
    elif action == "accept":
        extra["note"] = rng.choice(ACCEPT_NOTES)
    problem = workflow.transition(session, _transition_actor(world, action, row), int(row.id),
                                  action, expected_version=int(row.version), **extra)
    old_zh, old_en = _names(f"problem.status.{row.status}")
    new_zh, new_en = _names(f"problem.status.{problem.status}")
    tail = extra.get("responsible_unit") or extra.get("note") or ""
    return Event(action, row.code, f"{old_zh} → {new_zh} {tail}".rstrip(),
                 f"{old_en} -> {new_en}")


def reopen_closed_problem(session: Session, world: World, rng: random.Random) -> Event | None:
    """Record a closed problem found again at a spot check (the office)."""
    row = _random_closed_problem(session, rng)
    if row is None:
        return None
    text = f"复查发现问题反弹（原 {row.code}）：{(row.description or '')[:200]}"
    problem = workflow.reopen_problem(session, OFFICE, int(row.id), description=text)
    return Event("reopen", problem.code, f"原问题 {row.code} 复查反弹", f"found again: {row.code}")


def _next_progress(rng: random.Random, stage: str, percent: float) -> tuple[str, float]:
    """Return the next (stage, percent) of a project: forward only, never over 100."""
    if stage == "planned":
        return "bidding", percent
    if stage == "bidding":
        return "under_construction", max(percent, round(rng.uniform(0.5, 2.0), 1))
    value = min(100.0, round(percent + rng.uniform(0.3, 3.0), 1))
    return ("completed" if value >= 100.0 else "under_construction"), value


def report_project_progress(session: Session, world: World, rng: random.Random) -> Event | None:
    """Report today's progress of a project under construction (or start one), as the staff
    of its subdistrict."""
    today = today_local()
    frame = renovation.projects_with_progress(session, today)
    building = frame[frame["stage"] == "under_construction"]
    waiting = frame[frame["stage"].isin(["planned", "bidding"])]
    if waiting.empty and building.empty:
        return None
    pool = waiting if not waiting.empty and (building.empty or rng.random() < START_PROJECT_SHARE) \
        else building
    row = pool.iloc[rng.randrange(len(pool))]
    last = float(row["percent"])
    stage, value = _next_progress(rng, str(row["stage"]), last)
    renovation.add_progress_report(
        session, world.staff(int(row["subdistrict_id"])), int(row["id"]), today, value, stage,
        note=rng.choice(PROGRESS_NOTES[stage]), expected_version=int(row["version"]))
    st_zh, st_en = _names(f"project.stage.{stage}")
    return Event("progress", str(row["code"]),
                 f"{row['name_zh']} {last:g}% → {value:g}%（{st_zh}）",
                 f"{row['name_en']} {last:g}% -> {value:g}% ({st_en})")


def record_market_inspection(session: Session, world: World, rng: random.Random) -> Event | None:
    """Inspect a market (the market bureau); a market whose last inspection had findings is
    re-inspected, and a passing re-inspection closes its open problems."""
    if not world.markets or not world.checklist:
        return None
    market_id, code, name_zh, name_en = rng.choice(world.markets)
    last = markets.inspection_history(session, market_id, limit=1)
    again = not last.empty and int(last["findings"].iloc[0] or 0) > 0
    share = REINSPECTION_ITEM_FAIL_SHARE if again else ITEM_FAIL_SHARE
    scores = {c: item_score(rng, mx, thr, share) for c, mx, thr in world.checklist}
    open_before = markets.market_problems(session, market_id) if again else None
    outcome = markets.record_inspection(
        session, MARKET, market_id, today_local(), rng.choice(world.inspectors), scores,
        vehicle=rng.choice(world.vehicles) if world.vehicles else None,
        is_reinspection=again, fed_back_same_day=rng.random() < FED_BACK_SHARE)
    steps = 0
    if outcome.closed_problem_ids and open_before is not None:
        status = dict(zip(open_before["id"], open_before["status"], strict=True))
        steps = sum(len(markets.closing_actions(status[i])) for i in outcome.closed_problem_ids)
    steps += len(outcome.rejected_problem_ids)  # a repeat finding sent a submitted one back
    raised = markets.problem_codes(session, [outcome.problem_id]).get(outcome.problem_id, "") \
        if outcome.problem_id and outcome.problem_is_new else ""
    closed = len(outcome.closed_problem_ids)
    kind_zh, kind_en = texts.both("market.inspection_kind.repeat" if again
                                  else "market.inspection_kind.first")
    more_zh = (f"，立案 {raised}" if raised else "") + (f"，销号 {closed} 个问题" if closed else "")
    more_en = (f", raised {raised}" if raised else "") + (f", closed {closed}" if closed else "")
    return Event("inspection", f"{code}#{outcome.inspection_id}",
                 f"{name_zh} {kind_zh} {outcome.total_score:g} 分，"
                 f"{len(outcome.findings)} 项不达标{more_zh}",
                 f"{name_en} {kind_en} {outcome.total_score:g}/100, "
                 f"{len(outcome.findings)} findings{more_en}",
                 raised=1 if raised else 0, closed=closed, steps=steps)


def _activity_community(world: World, team: TeamRef, rng: random.Random) -> int | None:
    """Return where a team works today: mostly its home community, else one of its street."""
    nearby = [cid for cid, (sub, _, _) in world.communities.items() if sub == team.subdistrict_id]
    if team.community_id is not None and (not nearby or rng.random() < HOME_COMMUNITY_SHARE):
        return team.community_id
    return rng.choice(nearby) if nearby else None


def record_volunteer_activity(session: Session, world: World, rng: random.Random) -> Event | None:
    """Record a volunteer activity of a team held today (the subdistrict's staff)."""
    if not world.teams:
        return None
    team = rng.choice(world.teams)
    community_id = _activity_community(world, team, rng)
    if community_id is None or community_id not in world.communities:
        return None
    sub_id, comm_zh, comm_en = world.communities[community_id]
    people = rng.randint(5, max(5, min(team.members, 40)))
    hours = round(people * rng.uniform(1.0, 3.0), 1)
    held = {t for t in world.titles  # the team's activities already held there today
            if volunteers.activity_on(session, team.id, today_local(), comm_zh, t) is not None}
    titles = [t for t in world.titles if t not in held]
    if not titles:
        return None
    title = rng.choice(titles)
    partner = None
    if world.partners and rng.random() < PARTNER_SHARE:
        near = [p for p, sub in world.partners if sub == sub_id] or [p for p, _ in world.partners]
        partner = rng.choice(near)
    row = volunteers.record_activity(
        session, world.staff(sub_id), team_id=team.id, community_id=community_id,
        held_on=today_local(), title=title, participants=people, volunteer_hours=hours,
        partner_org_id=partner)
    return Event("activity", f"{team.code}#{row.id}",
                 f"{team.name_zh}：{title}，{people} 人 {hours:g} 小时（{comm_zh}）",
                 f"{team.name_en}: {title}, {people} people, {hours:g} h ({comm_en})")


WRITERS: dict[str, Callable[[Session, World, random.Random], Event | None]] = {
    "report": report_new_problem,
    "transition": advance_open_problem,
    "reopen": reopen_closed_problem,
    "inspection": record_market_inspection,
    "progress": report_project_progress,
    "activity": record_volunteer_activity,
}


# ---------------------------------------------------------------- the run

def write_one_event(engine: Engine, world: World, rng: random.Random) -> Event:
    """Write one event of a kind drawn by EVENT_WEIGHTS in its own committed transaction;
    a kind with nothing to act on passes to the next one drawn."""
    kinds = list(EVENT_WEIGHTS)
    while kinds:
        kind = rng.choices(kinds, [EVENT_WEIGHTS[k] for k in kinds])[0]
        with session_scope(engine) as session:
            event = WRITERS[kind](session, world, rng)
        if event is not None:
            return event
        kinds.remove(kind)
    raise CivDataError("simulate_no_data")


def new_seed() -> int:
    """Return a seed taken from the clock (printed so that a run can be repeated)."""
    return time.time_ns() % 1_000_000


def _check_pace(rate_per_minute: float, minutes: float) -> None:
    """Raise invalid_value unless the rate is positive and the minutes are not negative."""
    if not (math.isfinite(rate_per_minute) and rate_per_minute > 0):
        raise CivDataError("invalid_value", field="--rate", detail=f"{rate_per_minute:g}")
    if not (math.isfinite(minutes) and minutes >= 0):
        raise CivDataError("invalid_value", field="--minutes", detail=f"{minutes:g}")


def simulate(engine: Engine, rate_per_minute: float, minutes: float, seed: int | None = None,
             fast: bool = False, *, world: World | None = None,
             on_event: Callable[[Event], None] | None = None,
             sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> SimulationResult:
    """Write events at rate_per_minute for minutes (without waiting when fast); return what
    was written. A refused event is skipped; Ctrl-C stops the run and keeps what was done."""
    _check_pace(rate_per_minute, minutes)
    result = SimulationResult(seed=new_seed() if seed is None else int(seed))
    if world is None:
        with session_scope(engine) as session:
            world = load_world(session)
    arrivals = random.Random(f"{result.seed}:arrivals")
    rng = random.Random(f"{result.seed}:events")
    start = clock()
    try:
        for offset in arrival_offsets(rate_per_minute, minutes, arrivals):
            if not fast:
                _wait_until(start + offset, sleep, clock)
            try:
                event = write_one_event(engine, world, rng)
            except CivDataError as err:  # e.g. a dashboard user changed the record meanwhile
                result.skipped += 1
                event = Event("skipped", err.code, err.message("zh"), err.message("en"))
            else:
                result.add(event)
            if on_event is not None:
                on_event(event)
        if not fast:
            _wait_until(start + minutes * 60.0, sleep, clock)
    except KeyboardInterrupt:
        result.interrupted = True
    result.seconds = clock() - start
    return result


def _wait_until(moment: float, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
    """Sleep until clock() reaches moment (not at all when it has)."""
    wait = moment - clock()
    if wait > 0:
        sleep(wait)


def summary_lines(result: SimulationResult, lang: str) -> list[str]:
    """Return the summary of a run as printable lines in lang."""
    lines = [texts.text("simulate.summary", lang, n=result.total, seconds=result.seconds,
                  seed=result.seed)]
    for kind in KINDS:
        lines.append(f"  {kind_label(kind, lang):<14} {result.counts.get(kind, 0)}")
    for key, n in (("raised", result.raised_by_inspections),
                   ("closed", result.closed_by_reinspections), ("skipped", result.skipped)):
        lines.append(f"  {texts.text(f'simulate.count.{key}', lang)}: {n}")
    if result.interrupted:
        lines.append(texts.text("simulate.stopped", lang))
    return lines


def run_cli(engine: Engine, args: argparse.Namespace) -> int:
    """Run `simulate` from the command line; return 0, or 1 when refused (e.g. empty database)."""
    from civdata.core.schema import init_db

    lang = args.lang
    try:
        _check_pace(args.rate, args.minutes)
        init_db(engine)
        with session_scope(engine) as session:
            world = load_world(session)
        seed = new_seed() if args.seed is None else args.seed
        print(texts.text("simulate.start", lang, rate=args.rate, minutes=args.minutes,
                         seed=seed, fast=texts.text("simulate.fast", lang) if args.fast else ""),
              flush=True)
        result = simulate(engine, args.rate, args.minutes, seed, args.fast, world=world,
                          on_event=lambda e: print(e.line(lang), flush=True))
    except CivDataError as err:
        print(f"error: {err.message(lang)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the first event: nothing written
        print(texts.text("simulate.stopped", lang))
        return 0
    print("\n".join(summary_lines(result, lang)))
    return 0
