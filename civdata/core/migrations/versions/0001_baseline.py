"""Baseline: the schema that create_all made before migrations existed.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 03:39:59.279498
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("table_name", sa.String(length=48), nullable=False),
        sa.Column("record_id", sa.String(length=48), nullable=True),
        sa.Column("old_values", sa.Text(), nullable=True),
        sa.Column("new_values", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_username"), ["username"], unique=False)
        batch_op.create_index("ix_audit_table_at", ["table_name", "at"], unique=False)

    op.create_table(
        "campaign_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "checklist_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=96), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "data_change",
        sa.Column("domain", sa.String(length=24), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("domain"),
    )
    op.create_table(
        "escalation_rung",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("days_overdue", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=96), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("days_overdue"),
    )
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=True),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot_json", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_kind_held", ["kind", "held_on"], unique=False)

    op.create_table(
        "metric_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("metric"),
    )
    op.create_table(
        "problem_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=32), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("time_limit_days", sa.Integer(), nullable=False),
        sa.Column("risk_weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "programme_quantity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=24), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("planned", sa.Float(), nullable=False),
        sa.Column("done", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme", "item"),
    )
    op.create_table(
        "site_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=96), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("surroundings_focus", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "subdistrict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=64), nullable=False),
        sa.Column("boundary_geojson", sa.Text(), nullable=False),
        sa.Column("center_lat", sa.Float(), nullable=False),
        sa.Column("center_lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("name_zh"),
    )
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_item_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=64), nullable=False),
        sa.Column("name_en", sa.String(length=96), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_subdistrict_id"), ["subdistrict_id"], unique=False
        )

    op.create_table(
        "partner_org",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=128), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('leader','office','subdistrict','market','admin')", name="ck_user_role"
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "practice_station",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("platforms", sa.String(length=128), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("programme", sa.String(length=24), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("bid_section", sa.String(length=32), nullable=True),
        sa.Column("area", sa.String(length=32), nullable=True),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("floor_area_m2", sa.Float(), nullable=False),
        sa.Column("buildings", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("investment_planned_yuan", sa.Float(), nullable=False),
        sa.Column("investment_spent_yuan", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("contractor", sa.String(length=128), nullable=True),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("actual_start", sa.Date(), nullable=True),
        sa.Column("actual_end", sa.Date(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "programme IN ('old_compound','back_street','boutique_street','key_road')",
            name="ck_project_programme",
        ),
        sa.CheckConstraint(
            "stage IN ('planned','bidding','under_construction','completed')",
            name="ck_project_stage",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index("ix_project_programme_batch", ["programme", "batch"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_project_subdistrict_id"), ["subdistrict_id"], unique=False
        )

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("leader", sa.String(length=64), nullable=False),
        sa.Column("unit_1", sa.String(length=96), nullable=False),
        sa.Column("unit_2", sa.String(length=96), nullable=False),
        sa.Column("unit_3", sa.String(length=96), nullable=False),
        sa.Column("grid_staff", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["site_category.id"],
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_category_id"), ["category_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_site_subdistrict_id"), ["subdistrict_id"], unique=False
        )

    op.create_table(
        "market",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("director", sa.String(length=64), nullable=False),
        sa.Column("stalls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("market", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_market_subdistrict_id"), ["subdistrict_id"], unique=False
        )

    op.create_table(
        "project_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("is_correction", sa.Boolean(), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("photo", sa.String(length=255), nullable=True),
        sa.CheckConstraint("percent >= 0 AND percent <= 100", name="ck_progress_percent"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("project_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_project_date", ["project_id", "reported_on"], unique=False
        )

    op.create_table(
        "staff_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("subdistrict_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("staff_resource", schema=None) as batch_op:
        batch_op.create_index("ix_staff_kind", ["kind"], unique=False)

    op.create_table(
        "volunteer_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=128), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("service_type", sa.String(length=24), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["practice_station.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("volunteer_team", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_team_subdistrict_id"), ["subdistrict_id"], unique=False
        )

    op.create_table(
        "market_hardware",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["market.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("market_id", "item"),
    )
    op.create_table(
        "market_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("inspector", sa.String(length=64), nullable=False),
        sa.Column("vehicle", sa.String(length=32), nullable=True),
        sa.Column("total_score", sa.Float(), nullable=False),
        sa.Column("is_reinspection", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("fed_back_same_day", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("photo", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["market.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("market_inspection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inspection_market_date", ["market_id", "inspected_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_market_inspection_inspected_on"), ["inspected_on"], unique=False
        )

    op.create_table(
        "volunteer_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("partner_org_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("place", sa.String(length=128), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("service_type", sa.String(length=24), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("volunteer_hours", sa.Float(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
        ),
        sa.ForeignKeyConstraint(
            ["partner_org_id"],
            ["partner_org.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["volunteer_team.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("volunteer_activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_subdistrict_date", ["subdistrict_id", "held_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_activity_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_activity_held_on"), ["held_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_volunteer_activity_team_id"), ["team_id"], unique=False
        )

    op.create_table(
        "market_inspection_score",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["inspection_id"], ["market_inspection.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["checklist_item.id"],
        ),
        sa.PrimaryKeyConstraint("inspection_id", "item_id"),
    )
    op.create_table(
        "problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("subdistrict_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("discovered_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("deadline", sa.DateTime(), nullable=True),
        sa.Column("responsible_unit", sa.String(length=96), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("seconds_to_close", sa.Integer(), nullable=True),
        sa.Column("closed_on_time", sa.Boolean(), nullable=True),
        sa.Column("nearest_site_id", sa.Integer(), nullable=True),
        sa.Column("nearest_site_m", sa.Float(), nullable=True),
        sa.Column("h3_cell", sa.String(length=16), nullable=True),
        sa.Column("market_id", sa.Integer(), nullable=True),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("reopened_from_id", sa.Integer(), nullable=True),
        sa.Column("photo_before", sa.String(length=255), nullable=True),
        sa.Column("photo_after", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('discovered','assigned','rectifying','submitted','closed')",
            name="ck_problem_status",
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["problem_class.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["market_inspection.id"],
        ),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["market.id"],
        ),
        sa.ForeignKeyConstraint(
            ["nearest_site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reopened_from_id"],
            ["problem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"],
            ["subdistrict.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.create_index(
            "ix_problem_class_seconds", ["class_id", "seconds_to_close"], unique=False
        )
        batch_op.create_index("ix_problem_closed", ["closed_at"], unique=False)
        batch_op.create_index("ix_problem_discovered", ["discovered_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_h3_cell"), ["h3_cell"], unique=False)
        batch_op.create_index(
            "ix_problem_open_deadline",
            ["deadline"],
            unique=False,
            sqlite_where=sa.text("status <> 'closed'"),
            postgresql_where=sa.text("status <> 'closed'"),
        )
        batch_op.create_index(batch_op.f("ix_problem_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            "ix_problem_subdistrict_status", ["subdistrict_id", "status"], unique=False
        )

    op.create_table(
        "problem_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("problem_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problem_event_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_problem_event_problem_id"), ["problem_id"], unique=False
        )

    op.create_table(
        "problem_site",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["problem_id"], ["problem.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("problem_id", "site_id"),
    )
    with op.batch_alter_table("problem_site", schema=None) as batch_op:
        batch_op.create_index("ix_problem_site_site", ["site_id", "problem_id"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("problem_site", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_site_site")

    op.drop_table("problem_site")
    with op.batch_alter_table("problem_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_event_problem_id"))
        batch_op.drop_index(batch_op.f("ix_problem_event_at"))

    op.drop_table("problem_event")
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_index("ix_problem_subdistrict_status")
        batch_op.drop_index(batch_op.f("ix_problem_site_id"))
        batch_op.drop_index(
            "ix_problem_open_deadline",
            sqlite_where=sa.text("status <> 'closed'"),
            postgresql_where=sa.text("status <> 'closed'"),
        )
        batch_op.drop_index(batch_op.f("ix_problem_h3_cell"))
        batch_op.drop_index("ix_problem_discovered")
        batch_op.drop_index("ix_problem_closed")
        batch_op.drop_index("ix_problem_class_seconds")

    op.drop_table("problem")
    op.drop_table("market_inspection_score")
    with op.batch_alter_table("volunteer_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_activity_team_id"))
        batch_op.drop_index(batch_op.f("ix_volunteer_activity_held_on"))
        batch_op.drop_index(batch_op.f("ix_volunteer_activity_community_id"))
        batch_op.drop_index("ix_activity_subdistrict_date")

    op.drop_table("volunteer_activity")
    with op.batch_alter_table("market_inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_inspection_inspected_on"))
        batch_op.drop_index("ix_inspection_market_date")

    op.drop_table("market_inspection")
    op.drop_table("market_hardware")
    with op.batch_alter_table("volunteer_team", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_team_subdistrict_id"))

    op.drop_table("volunteer_team")
    with op.batch_alter_table("staff_resource", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_kind")

    op.drop_table("staff_resource")
    with op.batch_alter_table("project_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_project_date")

    op.drop_table("project_progress")
    with op.batch_alter_table("market", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_market_subdistrict_id"))

    op.drop_table("market")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_site_category_id"))

    op.drop_table("site")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_subdistrict_id"))
        batch_op.drop_index("ix_project_programme_batch")

    op.drop_table("project")
    op.drop_table("practice_station")
    op.drop_table("user_account")
    op.drop_table("partner_org")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_subdistrict_id"))

    op.drop_table("community")
    with op.batch_alter_table("action_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_item_meeting_id"))

    op.drop_table("action_item")
    op.drop_table("subdistrict")
    op.drop_table("site_category")
    op.drop_table("programme_quantity")
    op.drop_table("problem_class")
    op.drop_table("metric_target")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_kind_held")

    op.drop_table("meeting")
    op.drop_table("login_throttle")
    op.drop_table("escalation_rung")
    op.drop_table("data_change")
    op.drop_table("checklist_item")
    op.drop_table("campaign_figure")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_table_at")
        batch_op.drop_index(batch_op.f("ix_audit_log_username"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
