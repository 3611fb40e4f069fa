"""On-site checklists of the 25 site categories, site inspections and inspection rounds
(issue 19).

Rules kept here:
- A category's checklist is data (site_checklist_item): items with points and the problem class
  a failed item raises. An inspection gives every item a result: True (pass, full points),
  False (fail, 0 points) or points between 0 and the item's points; an item below its full
  points is a finding (the market checklist's rule with the threshold at full points, checked
  by the same markets.validate_scores / findings_of).
- Findings raise one problem per problem class into the closed loop (source: self-check ->
  daily_inspection, third_party, spot_check), linked to the site and the inspection. A repeat
  finding raises no duplicate: the site's open problem of that class stands, and a submitted
  rectification is sent back (markets.settle_repeat_finding). An inspection in which every item
  of a class passes closes the site's open problems of that class as far as the recording role
  may (markets.close_open_problems); a problem still to be submitted needs the inspection's photo.
- A round is a stratified random sample of sites (riskmodel.draw_stratified_sample, seed
  stored), assigned to inspectors in turn; a site is done once an inspection of it is recorded
  after the draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

import pandas as pd
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from civdata.core import models as m
from civdata.core.auth import Actor, Scope, audit, require
from civdata.core.clock import now_local
from civdata.core.errors import CivDataError
from civdata.core.live import mark_changed
from civdata.core.query import problem_is_open
from civdata.domain.markets import close_open_problems, findings_of, settle_repeat_finding
from civdata.domain.riskmodel import draw_stratified_sample
from civdata.texts import Term, text

PROBLEM_SOURCE = {"self_check": "daily_inspection", "third_party": "third_party",
                  "spot_check": "spot_check"}
MAX_NOTE = 2000


# --- reads ------------------------------------------------------------------------------------

def site_checklist(session: Session, category_code: str) -> pd.DataFrame:
    """Return a category's checklist: item_code, names, points, class_code, in order."""
    rows = session.execute(
        select(m.SiteChecklistItem.code, m.SiteChecklistItem.name_zh, m.SiteChecklistItem.name_en,
               m.SiteChecklistItem.points, m.ProblemClass.code, m.SiteChecklistItem.id)
        .join(m.SiteCategory, m.SiteCategory.id == m.SiteChecklistItem.category_id)
        .join(m.ProblemClass, m.ProblemClass.id == m.SiteChecklistItem.class_id)
        .where(m.SiteCategory.code == category_code)
        .order_by(m.SiteChecklistItem.sort_order, m.SiteChecklistItem.id)).all()
    return pd.DataFrame(rows, columns=["item_code", "name_zh", "name_en", "points",
                                       "class_code", "item_id"])


def site_inspection_history(session: Session, site_id: int, limit: int = 50) -> pd.DataFrame:
    """Return a site's latest inspections, newest first."""
    rows = session.execute(
        select(m.SiteInspection.id, m.SiteInspection.inspected_at, m.SiteInspection.source,
               m.SiteInspection.inspector, m.SiteInspection.points, m.SiteInspection.max_points,
               m.SiteInspection.findings, m.SiteInspection.round_id, m.SiteInspection.photo,
               m.SiteInspection.note)
        .where(m.SiteInspection.site_id == site_id)
        .order_by(m.SiteInspection.inspected_at.desc(), m.SiteInspection.id.desc())
        .limit(limit)).all()
    return pd.DataFrame(rows, columns=["inspection_id", "inspected_at", "source", "inspector",
                                       "points", "max_points", "findings", "round_id", "photo",
                                       "note"])


def site_problems(session: Session, site_id: int, open_only: bool = True) -> pd.DataFrame:
    """Return the problems raised by a site's inspections (open ones by default), newest first."""
    q = (select(m.Problem.id, m.Problem.code, m.Problem.status, m.Problem.version,
                m.ProblemClass.code, m.Problem.responsible_unit, m.Problem.site_inspection_id)
         .join(m.ProblemClass, m.ProblemClass.id == m.Problem.class_id)
         .where(m.Problem.site_id == site_id, m.Problem.site_inspection_id.is_not(None)))
    if open_only:
        q = q.where(problem_is_open())
    rows = session.execute(q.order_by(m.Problem.discovered_at.desc(), m.Problem.id.desc())).all()
    return pd.DataFrame(rows, columns=["id", "code", "status", "version", "class",
                                       "responsible_unit", "site_inspection_id"])


def rounds_overview(session: Session) -> pd.DataFrame:
    """Return every round, newest first: round_id, name, seed, drawn_at, sites, done."""
    done = exists().where(m.SiteInspection.round_id == m.InspectionRoundSite.round_id,
                          m.SiteInspection.site_id == m.InspectionRoundSite.site_id)
    rows = session.execute(
        select(m.InspectionRound.id, m.InspectionRound.name, m.InspectionRound.seed,
               m.InspectionRound.drawn_at, func.count(m.InspectionRoundSite.site_id),
               func.coalesce(func.sum(func.cast(done, m.Integer)), 0))
        .outerjoin(m.InspectionRoundSite,
                   m.InspectionRoundSite.round_id == m.InspectionRound.id)
        .group_by(m.InspectionRound.id)
        .order_by(m.InspectionRound.drawn_at.desc(), m.InspectionRound.id.desc())).all()
    frame = pd.DataFrame(rows, columns=["round_id", "name", "seed", "drawn_at", "sites", "done"])
    frame[["sites", "done"]] = frame[["sites", "done"]].astype(int)
    return frame


def round_sites(session: Session, round_id: int) -> pd.DataFrame:
    """Return a round's sites: site_id, site_code, site_name, category, inspector, done."""
    done = exists().where(m.SiteInspection.round_id == round_id,
                          m.SiteInspection.site_id == m.Site.id)
    rows = session.execute(
        select(m.Site.id, m.Site.code, m.Site.name_zh, m.SiteCategory.code,
               m.InspectionRoundSite.inspector, done, m.Site.subdistrict_id, m.Site.name_en,
               m.SiteCategory.name_zh, m.SiteCategory.name_en)
        .join(m.Site, m.Site.id == m.InspectionRoundSite.site_id)
        .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
        .where(m.InspectionRoundSite.round_id == round_id)
        .order_by(m.InspectionRoundSite.inspector, m.Site.code)).all()
    frame = pd.DataFrame(rows, columns=["site_id", "site_code", "site_name", "category",
                                        "inspector", "done", "subdistrict_id", "site_name_en",
                                        "category_zh", "category_en"])
    frame["done"] = frame["done"].astype(bool)
    return frame


# --- pure rules -------------------------------------------------------------------------------

def clean_results(results: Mapping[str, float | bool], checklist: pd.DataFrame
                  ) -> dict[str, float]:
    """Return every item's points (True = full, False = 0); raise for unknown, missing or
    out-of-range results."""
    points = dict(zip(checklist["item_code"], checklist["points"].astype(float), strict=True))
    names = dict(zip(checklist["item_code"], checklist["name_zh"], strict=True))
    unknown = sorted(set(results) - set(points))
    if unknown:
        raise CivDataError("site_item_unknown", item=", ".join(unknown))
    missing = [c for c in points if c not in results or results[c] is None]
    if missing:
        raise CivDataError("site_items_missing", items=", ".join(missing),
                           items_zh="、".join(names[c] for c in missing))
    clean: dict[str, float] = {}
    for code, maximum in points.items():
        value = results[code]
        if isinstance(value, bool):
            clean[code] = maximum if value else 0.0
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CivDataError("site_item_range", item=code, score=value, max=maximum) from None
        if math.isnan(number) or number < 0 or number > maximum:
            raise CivDataError("site_item_range", item=code, score=value, max=maximum)
        clean[code] = number
    return clean


def _market_frame(checklist: pd.DataFrame) -> pd.DataFrame:
    """Return a checklist in the market checklist's shape (threshold = full points)."""
    return pd.DataFrame({"code": checklist["item_code"], "max_points": checklist["points"],
                         "threshold": checklist["points"],
                         "sort_order": range(len(checklist))})


# --- writes -----------------------------------------------------------------------------------

def _require_site(actor: Actor, action: str, site: m.Site) -> None:
    """Raise unless actor may act on the site (subdistrict staff: their own only)."""
    require(actor, action, site)


def record_site_inspection(session: Session, actor: Actor, *, site_id: int, source: str,
                           inspector: str, results: dict[str, float | bool], at: datetime,
                           photo: bytes | str | None = None, note: str = "") -> int:
    """Record an inspection of a site against its category's checklist; raise problems for
    failed items and close the site's problems of classes that now pass; return its id.
    photo: the photo's bytes (checked and stored here; a refusal leaves no file) or a stored
    photo's name."""
    site = session.get(m.Site, site_id)
    if site is None:
        raise CivDataError("not_found", what=f"site {site_id}")
    _require_site(actor, "evaluation.inspect", site)
    if source not in PROBLEM_SOURCE:
        raise CivDataError("inspection_source", source=source)
    if at > now_local():
        raise CivDataError("inspection_future", at=at.strftime("%Y-%m-%d %H:%M"))
    who = (inspector or "").strip()
    if not who:
        raise CivDataError("market_inspector_required")
    if len(who) > 64 or len(note or "") > MAX_NOTE:
        raise CivDataError("invalid_value", field="inspector/note", detail="too long")
    category = session.get(m.SiteCategory, site.category_id)
    checklist = site_checklist(session, category.code)
    if checklist.empty:
        raise CivDataError("site_no_checklist", category=category.name_en,
                           category_zh=category.name_zh)
    clean = clean_results(results, checklist)
    found = findings_of(clean, _market_frame(checklist))
    round_id = session.scalar(
        select(m.InspectionRoundSite.round_id)
        .join(m.InspectionRound, m.InspectionRound.id == m.InspectionRoundSite.round_id)
        .where(m.InspectionRoundSite.site_id == site.id, m.InspectionRound.drawn_at <= at,
               ~exists().where(m.SiteInspection.round_id == m.InspectionRoundSite.round_id,
                               m.SiteInspection.site_id == site.id))
        # the oldest round still waiting for this site is served first (ties: the first drawn)
        .order_by(m.InspectionRound.drawn_at, m.InspectionRound.id).limit(1))
    from civdata.io.photos import photo_for_write

    given = photo if isinstance(photo, bytes | bytearray) else (photo or "").strip() or None
    with photo_for_write(session, given) as photo_name:  # bytes stored here; a refusal: no file
        inspection = m.SiteInspection(
            site_id=site.id, round_id=round_id, source=source, inspector=who, inspected_at=at,
            points=round(sum(clean.values()), 2), max_points=float(checklist["points"].sum()),
            findings=len(found), photo=photo_name,
            note=(note or "").strip() or None, created_by=actor.username)
        session.add(inspection)
        session.flush()
        ids = dict(zip(checklist["item_code"], checklist["item_id"], strict=True))
        full = dict(zip(checklist["item_code"], checklist["points"], strict=True))
        session.add_all([m.SiteInspectionResult(inspection_id=inspection.id, item_id=int(ids[c]),
                                                points=v, passed=v >= float(full[c]))
                         for c, v in clean.items()])
        audit(session, actor, "evaluation.inspect", "site_inspection", inspection.id, None,
              {"site": site.code, "source": source, "inspector": who, "at": at,
               "points": inspection.points, "findings": found, "round_id": round_id,
               "results": clean})
        mark_changed(session, "evaluation")
        session.flush()
        _settle_problems(session, actor, site, inspection, checklist, found)
        return inspection.id


def _settle_problems(session: Session, actor: Actor, site: m.Site,
                     inspection: m.SiteInspection, checklist: pd.DataFrame,
                     found: list[str]) -> None:
    """Raise (or stand by) one problem per failed class; close the classes that passed."""
    from civdata.domain.workflow import report_problem

    by_code = checklist.set_index("item_code")
    failed_classes = sorted({str(by_code.at[c, "class_code"]) for c in found})
    open_now = site_problems(session, site.id)
    stamp = f"{inspection.inspected_at:%Y-%m-%d %H:%M} #{inspection.id}"
    for cls in failed_classes:
        items = [c for c in found if by_code.at[c, "class_code"] == cls]
        names = "、".join(str(by_code.at[c, "name_zh"]) for c in items)
        same = open_now[open_now["class"] == cls]
        if not same.empty:
            settle_repeat_finding(session, actor, same,
                                  f"检查未通过 / inspection failed: {names} {stamp}")
            continue
        require(actor, "problem.report",
                Scope(site.subdistrict_id, PROBLEM_SOURCE[inspection.source]))
        problem = report_problem(
            session, actor, subdistrict_id=site.subdistrict_id, class_code=cls, lat=site.lat,
            lon=site.lon, source=PROBLEM_SOURCE[inspection.source], site_id=site.id,
            description=f"点位检查（{text(f'inspection.source.{inspection.source}', 'zh')}）：{site.name_zh}"
                        f"{names}不达标。检查记录 #{inspection.id}",
            photo_before=inspection.photo)
        problem.site_inspection_id = inspection.id
        session.flush()
    passed_classes = set(checklist["class_code"]) - set(failed_classes)
    to_close = open_now[open_now["class"].isin(passed_classes)]
    if not to_close.empty:
        close_open_problems(session, actor, to_close,
                            f"复查通过 / re-check passed: {stamp}, "
                            f"{inspection.points:g}/{inspection.max_points:g}",
                            site.unit_1 or site.name_zh, photo_after=inspection.photo)


def settle_recorded_inspection(session: Session, actor: Actor, inspection: m.SiteInspection,
                               checklist: pd.DataFrame | None = None,
                               got: Mapping[str, float] | None = None) -> None:
    """Apply the findings rules of record_site_inspection to an inspection already stored with
    its item results (got: item code -> points, read when not given); the sample loader replays
    its inspections through this at their moments (civdata.core.clock.replaying_at)."""
    site = session.get(m.Site, inspection.site_id)
    if checklist is None:
        checklist = site_checklist(session, session.get(m.SiteCategory, site.category_id).code)
    if got is None:
        got = dict(session.execute(
            select(m.SiteChecklistItem.code, m.SiteInspectionResult.points)
            .join(m.SiteChecklistItem, m.SiteChecklistItem.id == m.SiteInspectionResult.item_id)
            .where(m.SiteInspectionResult.inspection_id == inspection.id)).all())
    clean = {c: float(got[c]) for c in checklist["item_code"] if c in got}
    _settle_problems(session, actor, site, inspection, checklist,
                     findings_of(clean, _market_frame(checklist)))


def draw_round(session: Session, actor: Actor, *, name: str, sample_size: int, seed: int,
               inspectors: list[str]) -> int:
    """Draw a round: a stratified random sample of sites (seed stored), assigned to the
    inspectors in turn (office); return its id."""
    require(actor, "evaluation.manage")
    names = [n.strip() for n in inspectors if n and n.strip()]
    if not names:
        raise CivDataError("round_no_inspectors")
    title = (name or "").strip()
    if not title or len(title) > 128:
        raise CivDataError("required_field", field=Term("eval.field.round_name"))
    rows = session.execute(select(m.Site.id, m.Site.code, m.SiteCategory.code)
                           .join(m.SiteCategory, m.SiteCategory.id == m.Site.category_id)
                           .order_by(m.Site.id)).all()
    sites = pd.DataFrame(rows, columns=["id", "code", "category_code"])
    if not (1 <= int(sample_size) <= len(sites)):
        raise CivDataError("round_bad_size", max=len(sites), value=sample_size)
    sample = draw_stratified_sample(sites, int(sample_size), int(seed))
    row = m.InspectionRound(name=title, seed=int(seed), sample_size=len(sample),
                            drawn_at=now_local(), drawn_by=actor.username)
    session.add(row)
    session.flush()
    session.add_all([m.InspectionRoundSite(round_id=row.id, site_id=int(sid),
                                           inspector=names[k % len(names)])
                     for k, sid in enumerate(sample["id"])])
    audit(session, actor, "evaluation.round", "inspection_round", row.id, None,
          {"name": title, "seed": int(seed), "sample_size": len(sample), "inspectors": names})
    mark_changed(session, "evaluation")
    session.flush()
    return row.id


def latest_content_sums(session: Session, t: datetime) -> pd.DataFrame:
    """Return per site and checklist content code (None: items checking no content) the points
    its latest inspection on or before t gave and the items' points, summed in SQL (one index
    probe per site on ix_site_inspection_site_at): site_id, category, content_code, got, max."""
    last = (select(m.SiteInspection.id)
            .where(m.SiteInspection.site_id == m.Site.id, m.SiteInspection.inspected_at <= t)
            .order_by(m.SiteInspection.inspected_at.desc(), m.SiteInspection.id.desc())
            .limit(1).correlate(m.Site).scalar_subquery())
    latest = select(m.Site.id.label("site_id"), m.Site.category_id.label("category_id"),
                    last.label("inspection_id")).subquery()
    q = (select(latest.c.site_id, m.SiteCategory.code, m.SiteChecklistItem.content_code,
                func.sum(m.SiteInspectionResult.points), func.sum(m.SiteChecklistItem.points))
         .select_from(latest)
         .join(m.SiteInspectionResult,
               m.SiteInspectionResult.inspection_id == latest.c.inspection_id)
         .join(m.SiteChecklistItem, m.SiteChecklistItem.id == m.SiteInspectionResult.item_id)
         .join(m.SiteCategory, m.SiteCategory.id == latest.c.category_id)
         .group_by(latest.c.site_id, m.SiteCategory.code, m.SiteChecklistItem.content_code)
         .order_by(latest.c.site_id, m.SiteChecklistItem.content_code))
    frame = pd.DataFrame(session.execute(q).all(),
                         columns=["site_id", "category", "content_code", "got", "max"])
    frame[["got", "max"]] = frame[["got", "max"]].astype(float)
    return frame
