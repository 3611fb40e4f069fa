"""SQLAlchemy 2 tables for the whole domain. Timestamps are naive Asia/Shanghai local time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

PROBLEM_STATUSES = ("discovered", "assigned", "rectifying", "submitted", "closed")
OPEN_STATUSES = ("discovered", "assigned", "rectifying", "submitted")
PROBLEM_SOURCES = (
    "daily_inspection",
    "spot_check",
    "third_party",
    "public_report",
    "market_inspection",
    "hotline",  # issue 20: a 12345 work order accepted in moderation
)
PROGRAMMES = ("old_compound", "back_street", "boutique_street", "key_road")
PROJECT_STAGES = ("planned", "bidding", "under_construction", "completed")
ROLES = ("leader", "office", "subdistrict", "market", "admin")
STATION_LEVELS = ("district", "subdistrict", "community")


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Subdistrict(Base):
    """One of the district's 12 subdistricts (街道)."""

    __tablename__ = "subdistrict"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(64))
    boundary_geojson: Mapped[str] = mapped_column(Text)
    center_lat: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)  # weights the survey (issue 19)


class Community(Base):
    """A community (社区) inside a subdistrict."""

    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class SiteCategory(Base):
    """One of the 25 categories of evaluation sites, with its check radius."""

    __tablename__ = "site_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    radius_m: Mapped[float] = mapped_column(Float, default=300.0)
    surroundings_focus: Mapped[bool] = mapped_column(Boolean, default=False)


class Site(Base):
    """An on-site evaluation site (实地测评点位) with its 1+3+N responsibility."""

    __tablename__ = "site"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    category_id: Mapped[int] = mapped_column(ForeignKey("site_category.id"), index=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    leader: Mapped[str] = mapped_column(String(64))
    unit_1: Mapped[str] = mapped_column(String(96))
    unit_2: Mapped[str] = mapped_column(String(96))
    unit_3: Mapped[str] = mapped_column(String(96))
    grid_staff: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProblemClass(Base):
    """One of the six problem classes, with its rectification time limit (office-editable)."""

    __tablename__ = "problem_class"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(64))
    time_limit_days: Mapped[int] = mapped_column(Integer)
    risk_weight: Mapped[float] = mapped_column(Float, default=1.0)


class EscalationRung(Base):
    """A rung of the escalation ladder: days overdue from which it applies."""

    __tablename__ = "escalation_rung"
    id: Mapped[int] = mapped_column(primary_key=True)
    days_overdue: Mapped[int] = mapped_column(Integer, unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))


class Problem(Base):
    """A problem found in the closed loop, with its derived spatial attributes."""

    __tablename__ = "problem"
    __table_args__ = (
        CheckConstraint(
            "status IN ('discovered','assigned','rectifying','submitted','closed')",
            name="ck_problem_status",
        ),
        Index("ix_problem_subdistrict_status", "subdistrict_id", "status"),
        Index("ix_problem_discovered", "discovered_at"),
        # covering indexes (migration 0014): counts at a moment read the index, not the rows
        Index("ix_problem_closed_cover", "closed_at", "discovered_at", "deadline",
              "subdistrict_id", "closed_on_time", "class_id", "responsible_unit",
              "reopened_from_id"),
        Index("ix_problem_class_seconds", "class_id", "seconds_to_close"),
        Index(
            "ix_problem_open_cover",
            "deadline", "discovered_at", "status", "subdistrict_id", "class_id",
            sqlite_where=text("status <> 'closed'"),
            postgresql_where=text("status <> 'closed'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("problem_class.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="discovered")
    discovered_at: Mapped[datetime] = mapped_column(DateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    deadline: Mapped[datetime | None] = mapped_column(DateTime)
    responsible_unit: Mapped[str | None] = mapped_column(String(96))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    seconds_to_close: Mapped[int | None] = mapped_column(Integer)
    closed_on_time: Mapped[bool | None] = mapped_column(Boolean)
    nearest_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    nearest_site_m: Mapped[float | None] = mapped_column(Float)
    h3_cell: Mapped[str | None] = mapped_column(String(16), index=True)
    market_id: Mapped[int | None] = mapped_column(ForeignKey("market.id"))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("market_inspection.id"))
    site_inspection_id: Mapped[int | None] = mapped_column(ForeignKey("site_inspection.id"))
    reopened_from_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))
    photo_before: Mapped[str | None] = mapped_column(String(255))
    photo_after: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProblemSite(Base):
    """A problem lies within a site's check radius (written with the problem)."""

    __tablename__ = "problem_site"
    __table_args__ = (Index("ix_problem_site_site", "site_id", "problem_id"),)
    problem_id: Mapped[int] = mapped_column(
        ForeignKey("problem.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), primary_key=True)
    distance_m: Mapped[float] = mapped_column(Float)


class SiteLinkCount(Base):
    """How many problems (any state) lie within each site's radius: a summary of problem_site
    kept by the write path (civdata.domain.sites.refresh_site_link_counts) in the same transaction."""

    __tablename__ = "site_link_count"
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"),
                                         primary_key=True)
    problems: Mapped[int] = mapped_column(Integer, default=0)


class SiteOpenCount(Base):
    """How many open problems of each class lie within each site's radius: a summary of
    problem_site kept by the write path in the same transaction (civdata.domain.sites:
    refresh_site_link_counts recounts the sites a link write touched, close_in_site_counts
    takes a closed problem out). Any new write that changes a problem's status or class must
    keep it too."""

    __tablename__ = "site_open_count"
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"),
                                         primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("problem_class.id", ondelete="CASCADE"),
                                          primary_key=True)
    problems: Mapped[int] = mapped_column(Integer, default=0)


class ProblemEvent(Base):
    """One transition of a problem: who, when, from, to, note."""

    __tablename__ = "problem_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


class Project(Base):
    """A renovation project: an old compound, a back street, a boutique street or a key road."""

    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(
            "programme IN ('old_compound','back_street','boutique_street','key_road')",
            name="ck_project_programme",
        ),
        CheckConstraint(
            "stage IN ('planned','bidding','under_construction','completed')",
            name="ck_project_stage",
        ),
        Index("ix_project_programme_batch", "programme", "batch"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    programme: Mapped[str] = mapped_column(String(24))
    batch: Mapped[int] = mapped_column(Integer, default=1)
    bid_section: Mapped[str | None] = mapped_column(String(32))
    area: Mapped[str | None] = mapped_column(String(32))
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    floor_area_m2: Mapped[float] = mapped_column(Float, default=0.0)
    buildings: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    length_m: Mapped[float] = mapped_column(Float, default=0.0)
    investment_planned_yuan: Mapped[float] = mapped_column(Float, default=0.0)
    investment_spent_yuan: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(24), default="planned")
    contractor: Mapped[str | None] = mapped_column(String(128))
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    actual_start: Mapped[date | None] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)
    drawings_done_on: Mapped[date | None] = mapped_column(Date)  # construction drawings (施工图)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProjectProgress(Base):
    """A dated percent-complete report on a project."""

    __tablename__ = "project_progress"
    __table_args__ = (
        CheckConstraint("percent >= 0 AND percent <= 100", name="ck_progress_percent"),
        Index("ix_progress_project_date", "project_id", "reported_on"),
        Index("uq_progress_natural_key", "project_id", "reported_on", "percent", "stage",
              unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    reported_on: Mapped[date] = mapped_column(Date)
    percent: Mapped[float] = mapped_column(Float)
    stage: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    is_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    reported_by: Mapped[str] = mapped_column(String(64))
    photo: Mapped[str | None] = mapped_column(String(255))


class ProgrammeQuantity(Base):
    """A planned and done quantity of a programme (key roads: km of road, m² of sidewalk, ...)."""

    __tablename__ = "programme_quantity"
    __table_args__ = (UniqueConstraint("programme", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(24))
    item: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    planned: Mapped[float] = mapped_column(Float)
    done: Mapped[float] = mapped_column(Float)


class Market(Base):
    """A farmers' market with its leading cadre acting as 'director'."""

    __tablename__ = "market"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    director: Mapped[str] = mapped_column(String(64))
    stalls: Mapped[int] = mapped_column(Integer, default=0)


class ChecklistItem(Base):
    """An item of the 100-point market checklist; a score below threshold is a finding."""

    __tablename__ = "checklist_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(96))
    max_points: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class MarketInspection(Base):
    """One inspection of a market: who, when, total out of 100."""

    __tablename__ = "market_inspection"
    __table_args__ = (Index("ix_inspection_market_date", "market_id", "inspected_on"),
                      Index("uq_inspection_natural_key", "market_id", "inspected_on", "inspector",
                            "is_reinspection", "total_score", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id"))
    inspected_on: Mapped[date] = mapped_column(Date, index=True)
    inspector: Mapped[str] = mapped_column(String(64))
    vehicle: Mapped[str | None] = mapped_column(String(32))
    total_score: Mapped[float] = mapped_column(Float)
    is_reinspection: Mapped[bool] = mapped_column(Boolean, default=False)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    fed_back_same_day: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(255))


class MarketInspectionScore(Base):
    """The score one inspection gave one checklist item."""

    __tablename__ = "market_inspection_score"
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("market_inspection.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)


class MarketHardware(Base):
    """Hardware renewal at a market: publicity boards, fire facilities, sorted-bin sets."""

    __tablename__ = "market_hardware"
    __table_args__ = (UniqueConstraint("market_id", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    market_id: Mapped[int] = mapped_column(ForeignKey("market.id"))
    item: Mapped[str] = mapped_column(String(32))
    planned: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)


class StaffResource(Base):
    """A person or vehicle the campaign deploys: market inspectors, vehicles, grid staff."""

    __tablename__ = "staff_resource"
    __table_args__ = (Index("ix_staff_kind", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PracticeStation(Base):
    """A civilization practice position at district, subdistrict or community level."""

    __tablename__ = "practice_station"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    level: Mapped[str] = mapped_column(String(16))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    platforms: Mapped[str] = mapped_column(String(128))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class VolunteerTeam(Base):
    """A volunteer service team that signed a co-construction agreement."""

    __tablename__ = "volunteer_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    service_type: Mapped[str] = mapped_column(String(24))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("practice_station.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    members: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class PartnerOrg(Base):
    """An enterprise, merchant or social organisation linked into volunteer work."""

    __tablename__ = "partner_org"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(24))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))


class VolunteerActivity(Base):
    """A volunteer activity: team, date, place, service type, participants, hours."""

    __tablename__ = "volunteer_activity"
    __table_args__ = (Index("ix_activity_subdistrict_date", "subdistrict_id", "held_on"),
                      Index("ix_activity_community_date", "community_id", "held_on"),
                      Index("uq_activity_natural_key", "team_id", "held_on", "place", "title",
                            unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("volunteer_team.id"), index=True)
    partner_org_id: Mapped[int | None] = mapped_column(ForeignKey("partner_org.id"))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(128))
    place: Mapped[str] = mapped_column(String(128))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    service_type: Mapped[str] = mapped_column(String(24))
    participants: Mapped[int] = mapped_column(Integer)
    volunteer_hours: Mapped[float] = mapped_column(Float)
    created_by: Mapped[str | None] = mapped_column(String(64))


class User(Base):
    """A local account with its role (and subdistrict for subdistrict staff)."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "role IN ('leader','office','subdistrict','market','admin')", name="ck_user_role"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(128), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class LoginThrottle(Base):
    """Failed logins per user name (known or not), so lockout reveals nothing about names."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)


class AuditLog(Base):
    """Who changed what, when, with the old and new values (JSON)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_table_at", "table_name", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(48))
    table_name: Mapped[str] = mapped_column(String(48))
    record_id: Mapped[str | None] = mapped_column(String(48))
    old_values: Mapped[str | None] = mapped_column(Text)
    new_values: Mapped[str | None] = mapped_column(Text)


class Meeting(Base):
    """A headquarters meeting or a weekly dispatch meeting, with its frozen record."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_kind_held", "kind", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date] = mapped_column(Date)
    week: Mapped[str | None] = mapped_column(String(10), unique=True)
    title: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="open")
    snapshot_json: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))


class ActionItem(Base):
    """A follow-up recorded at a meeting: what, owner, due date, status."""

    __tablename__ = "action_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class MetricTarget(Base):
    """A target and weight of one metric of the subdistrict index (office-editable)."""

    __tablename__ = "metric_target"
    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32), unique=True)
    target: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)


class CampaignFigure(Base):
    """A stated campaign figure that is not a sum of other rows (e.g. 770 co-governed compounds)."""

    __tablename__ = "campaign_figure"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))


class DataChange(Base):
    """When each domain's data last changed; live panels poll it."""

    __tablename__ = "data_change"
    domain: Mapped[str] = mapped_column(String(24), primary_key=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    counter: Mapped[int] = mapped_column(Integer, default=0)


# --- the national evaluation (issue 19) -----------------------------------------------------

EVAL_METHODS = ("onsite", "survey", "materials")
EVAL_PART_KINDS = ("basic", "distinctive")
INSPECTION_SOURCES = ("self_check", "third_party", "spot_check")
SURVEY_DIMENSIONS = ("awareness", "support", "satisfaction", "participation")
MATERIAL_STATUSES = ("missing", "submitted", "accepted", "returned")
TASK_STATUSES = ("open", "done")


class EvalEdition(Base):
    """One edition (year) of the evaluation system; the current one is scored."""

    __tablename__ = "eval_edition"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(DateTime)
    loaded_by: Mapped[str] = mapped_column(String(64))


class EvalPart(Base):
    """A part of an edition (basic or distinctive indicators)."""

    __tablename__ = "eval_part"
    __table_args__ = (UniqueConstraint("edition_id", "code"),
                      CheckConstraint("kind IN ('basic','distinctive')", name="ck_eval_part_kind"))
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("eval_edition.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class EvalItem(Base):
    """An evaluation item (测评项目) of a part."""

    __tablename__ = "eval_item"
    __table_args__ = (UniqueConstraint("edition_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("eval_edition.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("eval_part.id", ondelete="CASCADE"),
                                         index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class EvalContent(Base):
    """An evaluation content (测评内容): points, collection method, lead unit."""

    __tablename__ = "eval_content"
    __table_args__ = (UniqueConstraint("edition_id", "code"),
                      CheckConstraint("method IN ('onsite','survey','materials')",
                                      name="ck_eval_content_method"))
    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("eval_edition.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("eval_item.id", ondelete="CASCADE"),
                                         index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    points: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))
    lead_unit: Mapped[str] = mapped_column(String(96))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class EvalContentCategory(Base):
    """An on-site content applies to the sites of this category."""

    __tablename__ = "eval_content_category"
    content_id: Mapped[int] = mapped_column(ForeignKey("eval_content.id", ondelete="CASCADE"),
                                            primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("site_category.id"), primary_key=True)


class SiteChecklistItem(Base):
    """An item of a site category's on-site checklist: points and the class a failure raises."""

    __tablename__ = "site_checklist_item"
    __table_args__ = (UniqueConstraint("category_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("site_category.id"), index=True)
    code: Mapped[str] = mapped_column(String(48))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(160))
    points: Mapped[float] = mapped_column(Float)
    class_id: Mapped[int] = mapped_column(ForeignKey("problem_class.id"))
    content_code: Mapped[str | None] = mapped_column(String(32))  # the on-site content it checks
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class InspectionRound(Base):
    """A round of inspections: a stratified random sample of sites drawn with a seed."""

    __tablename__ = "inspection_round"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    seed: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    drawn_at: Mapped[datetime] = mapped_column(DateTime)
    drawn_by: Mapped[str] = mapped_column(String(64))


class InspectionRoundSite(Base):
    """A site drawn into a round and the inspector it is assigned to."""

    __tablename__ = "inspection_round_site"
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"),
                                          primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), primary_key=True)
    inspector: Mapped[str] = mapped_column(String(64))


class SiteInspection(Base):
    """An on-site inspection of a site: source, inspector, points out of the checklist's."""

    __tablename__ = "site_inspection"
    __table_args__ = (
        Index("ix_site_inspection_site_at", "site_id", "inspected_at"),
        CheckConstraint("source IN ('self_check','third_party','spot_check')",
                        name="ck_site_inspection_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id"))
    source: Mapped[str] = mapped_column(String(16))
    inspector: Mapped[str] = mapped_column(String(64))
    inspected_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    photo: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))


class SiteInspectionResult(Base):
    """The points one site inspection gave one checklist item."""

    __tablename__ = "site_inspection_result"
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("site_inspection.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("site_checklist_item.id"), primary_key=True)
    points: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)


class SurveyQuestion(Base):
    """A household questionnaire question, scored by the share answering favourably."""

    __tablename__ = "survey_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    dimension: Mapped[str] = mapped_column(String(16))
    content_code: Mapped[str | None] = mapped_column(String(32))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class SurveyResponse(Base):
    """One household's questionnaire: where, who (age band), when."""

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_sub_on", "subdistrict_id", "responded_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    respondent: Mapped[str] = mapped_column(String(48), unique=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    age_band: Mapped[str] = mapped_column(String(16))
    responded_on: Mapped[date] = mapped_column(Date)
    imported_by: Mapped[str] = mapped_column(String(64))


class SurveyAnswer(Base):
    """One answer: favourable (True) or not; a blank answer is not stored."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("ix_survey_answer_question", "question_id"),)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id", ondelete="CASCADE"),
                                             primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id"), primary_key=True)
    favourable: Mapped[bool] = mapped_column(Boolean)


class EvalTask(Base):
    """A task of the six lists: standard, measures, responsibility, deadline."""

    __tablename__ = "eval_task"
    __table_args__ = (CheckConstraint("status IN ('open','done')", name="ck_eval_task_status"),
                      Index("ix_eval_task_content", "content_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("eval_content.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(Text)
    standard: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    responsible_unit: Mapped[str] = mapped_column(String(96))
    responsible_person: Mapped[str] = mapped_column(String(64))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    deadline: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(8), default="open")
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class EvalTaskProblem(Base):
    """A problem the task has to solve (the problem list of the six lists)."""

    __tablename__ = "eval_task_problem"
    task_id: Mapped[int] = mapped_column(ForeignKey("eval_task.id", ondelete="CASCADE"),
                                         primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"),
                                            primary_key=True)


class EvalMaterial(Base):
    """Evidence a materials content needs: deadline, responsible unit, review state."""

    __tablename__ = "eval_material"
    __table_args__ = (CheckConstraint(
        "status IN ('missing','submitted','accepted','returned')", name="ck_eval_material_status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("eval_content.id", ondelete="CASCADE"),
                                            index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("eval_task.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(160))
    responsible_unit: Mapped[str] = mapped_column(String(96))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    deadline: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default="missing")
    version: Mapped[int] = mapped_column(Integer, default=0)  # the latest uploaded version


class EvalMaterialVersion(Base):
    """One uploaded version of a material's file (stored under a name made from its hash)."""

    __tablename__ = "eval_material_version"
    __table_args__ = (UniqueConstraint("material_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("eval_material.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str | None] = mapped_column(String(255))  # None: a sample record
    file_kind: Mapped[str] = mapped_column(String(8))
    display_name: Mapped[str] = mapped_column(String(160))
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime)
    uploaded_by: Mapped[str] = mapped_column(String(64))


class EvalMaterialReview(Base):
    """A review of a material's version: accepted, or returned with a reason."""

    __tablename__ = "eval_material_review"
    __table_args__ = (Index("ix_eval_review_material_at", "material_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("eval_material.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)
    reviewer: Mapped[str] = mapped_column(String(64))


# --- issue 21: the daily report and monthly assessment (migration 0007) ---


class AssessmentIndicator(Base):
    """An office-configured indicator of the monthly assessment: target, weight, direction
    (an indicator without a row uses its default in civdata.domain.assessment)."""

    __tablename__ = "assessment_indicator"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    target: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float)
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AssessmentMonth(Base):
    """A month of the assessment (月调度): open, or closed with its frozen record (JSON)."""

    __tablename__ = "assessment_month"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # 'YYYY-MM'
    status: Mapped[str] = mapped_column(String(16), default="open")
    snapshot_json: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))


# --- issue 21: the outbox, contacts and the sender lease (migration 0008) ---

NOTIFY_CHANNELS = ("email", "wecom", "dingtalk", "webhook")
NOTIFY_SCOPES = ("district", "subdistrict", "unit")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class NotifyContact(Base):
    """Where one recipient's messages go (the district, a subdistrict or a responsible unit) on
    one channel: the address or webhook URL, the signing secret and the message language."""

    __tablename__ = "notify_contact"
    __table_args__ = (
        UniqueConstraint("recipient", "channel", name="uq_notify_contact_recipient_channel"),
        CheckConstraint("scope IN ('district','subdistrict','unit')", name="ck_notify_contact_scope"),
        CheckConstraint("channel IN ('email','wecom','dingtalk','webhook')",
                        name="ck_notify_contact_channel"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    unit: Mapped[str | None] = mapped_column(String(96))
    recipient: Mapped[str] = mapped_column(String(128))  # 'district', 'subdistrict:3', 'unit:…'
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(Text)  # robot/webhook URLs sealed (migration 0012)
    secret: Mapped[str | None] = mapped_column(Text)  # sealed (civdata.io.notify.vault, 0012)
    lang: Mapped[str] = mapped_column(String(2), default="zh")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """One message of one event to one recipient on one channel; the key makes it unique."""

    __tablename__ = "notify_outbox"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient", "channel", name="uq_notify_outbox_event"),
        CheckConstraint("status IN ('pending','sending','sent','failed')",
                        name="ck_notify_outbox_status"),
        Index("ix_notify_outbox_status_next", "status", "next_try_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("notify_contact.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_try_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class NotifyLease(Base):
    """The sender's lease: the one process that holds it until it expires may send."""

    __tablename__ = "notify_lease"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the scan's watermark: events up to this time are queued (migration 0012)
    scanned_until: Mapped[datetime | None] = mapped_column(DateTime)



# --- issue 20: reports from the street (migration 0009) ---


class ProblemConfirmation(Base):
    """A report from the street that joined an open problem instead of filing a duplicate: the
    problem, the new photo, who confirmed it, when and where (WGS-84) and how the point was found."""

    __tablename__ = "problem_confirmation"
    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"),
                                            index=True)
    photo: Mapped[str] = mapped_column(String(255))
    confirmed_by: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16))  # device, exif or tap
    accuracy_m: Mapped[float | None] = mapped_column(Float)


# --- issue 20: public reports, moderation and the hotline (migration 0010) ---


REPORT_CHANNELS = ("public", "hotline")
REPORT_STATUSES = ("pending", "accepted", "rejected", "merged")


class PublicReport(Base):
    """A report from outside the office (a citizen on /public, or a 12345 hotline work order)
    waiting for moderation: accepted as a problem, rejected with a reason, or merged."""

    __tablename__ = "public_report"
    __table_args__ = (
        CheckConstraint("channel IN ('public','hotline')", name="ck_public_report_channel"),
        CheckConstraint("status IN ('pending','accepted','rejected','merged')",
                        name="ck_public_report_status"),
        Index("ix_public_report_status_at", "status", "submitted_at"),
        Index("ix_public_report_client_at", "client_key", "submitted_at"),
        Index("ix_public_report_session_at", "session_key", "submitted_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # what the citizen looks up
    channel: Mapped[str] = mapped_column(String(8))
    order_no: Mapped[str | None] = mapped_column(String(64), unique=True)  # hotline work order
    class_id: Mapped[int | None] = mapped_column(ForeignKey("problem_class.id"))
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    lat: Mapped[float | None] = mapped_column(Float)  # WGS-84
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)  # stored exactly as typed
    phone: Mapped[str | None] = mapped_column(String(32))  # personal: never shown on /public
    photo: Mapped[str | None] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    client_key: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the address
    session_key: Mapped[str | None] = mapped_column(String(64))  # keyed hash of the session
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)  # a rejection's reason, shown to the citizen
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)



# --- issue 19: stored weekly readiness snapshots (migration 0011) ---


class ReadinessSnapshot(Base):
    """The readiness estimate at the end of a finished week for one scope (scope_id: the
    subdistrict's id, 0 for the district): derived data, stored once and recomputed only when
    the fingerprint of the inputs it was computed from changes."""

    __tablename__ = "readiness_snapshot"
    __table_args__ = (UniqueConstraint("week_start", "scope_id",
                                       name="uq_readiness_snapshot_week_scope"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    scope_id: Mapped[int] = mapped_column(Integer, default=0)
    edition: Mapped[str] = mapped_column(String(32))
    estimated: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    inputs: Mapped[str] = mapped_column(Text)  # watermark of what it was computed from (JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime)
