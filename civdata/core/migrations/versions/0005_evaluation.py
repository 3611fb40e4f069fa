"""the evaluation system, site checklists, inspections, rounds, survey, materials, six lists (issue 19)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('eval_edition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.Column('loaded_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('inspection_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('drawn_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('survey_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('dimension', sa.String(length=16), nullable=False),
    sa.Column('content_code', sa.String(length=32), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('eval_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('basic','distinctive')", name='ck_eval_part_kind'),
    sa.ForeignKeyConstraint(['edition_id'], ['eval_edition.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('edition_id', 'code')
    )
    op.create_table('site_checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('content_code', sa.String(length=32), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['site_category.id'], ),
    sa.ForeignKeyConstraint(['class_id'], ['problem_class.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('category_id', 'code')
    )
    with op.batch_alter_table('site_checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_checklist_item_category_id'), ['category_id'], unique=False)

    op.create_table('eval_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=128), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['eval_edition.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['eval_part.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('edition_id', 'code')
    )
    with op.batch_alter_table('eval_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_item_part_id'), ['part_id'], unique=False)

    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('respondent', sa.String(length=48), nullable=False),
    sa.Column('subdistrict_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('age_band', sa.String(length=16), nullable=False),
    sa.Column('responded_on', sa.Date(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], ),
    sa.ForeignKeyConstraint(['subdistrict_id'], ['subdistrict.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('respondent')
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index('ix_survey_response_sub_on', ['subdistrict_id', 'responded_on'], unique=False)

    op.create_table('eval_content',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('lead_unit', sa.String(length=96), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('onsite','survey','materials')", name='ck_eval_content_method'),
    sa.ForeignKeyConstraint(['edition_id'], ['eval_edition.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['eval_item.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('edition_id', 'code')
    )
    with op.batch_alter_table('eval_content', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_content_item_id'), ['item_id'], unique=False)

    op.create_table('inspection_round_site',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('inspector', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_round.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'site_id')
    )
    op.create_table('site_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('inspector', sa.String(length=64), nullable=False),
    sa.Column('inspected_at', sa.DateTime(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('max_points', sa.Float(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('photo', sa.String(length=255), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("source IN ('self_check','third_party','spot_check')", name='ck_site_inspection_source'),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_round.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('site_inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_inspection_inspected_at'), ['inspected_at'], unique=False)
        batch_op.create_index('ix_site_inspection_site_at', ['site_id', 'inspected_at'], unique=False)

    op.create_table('survey_answer',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('favourable', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['survey_question.id'], ),
    sa.ForeignKeyConstraint(['response_id'], ['survey_response.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id')
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index('ix_survey_answer_question', ['question_id'], unique=False)

    op.create_table('eval_content_category',
    sa.Column('content_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['site_category.id'], ),
    sa.ForeignKeyConstraint(['content_id'], ['eval_content.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('content_id', 'category_id')
    )
    op.create_table('eval_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.Text(), nullable=False),
    sa.Column('standard', sa.Text(), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('responsible_unit', sa.String(length=96), nullable=False),
    sa.Column('responsible_person', sa.String(length=64), nullable=False),
    sa.Column('subdistrict_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open','done')", name='ck_eval_task_status'),
    sa.ForeignKeyConstraint(['content_id'], ['eval_content.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subdistrict_id'], ['subdistrict.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eval_task', schema=None) as batch_op:
        batch_op.create_index('ix_eval_task_content', ['content_id'], unique=False)

    op.create_table('site_inspection_result',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['site_inspection.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['site_checklist_item.id'], ),
    sa.PrimaryKeyConstraint('inspection_id', 'item_id')
    )
    op.create_table('eval_material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('responsible_unit', sa.String(length=96), nullable=False),
    sa.Column('subdistrict_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('missing','submitted','accepted','returned')", name='ck_eval_material_status'),
    sa.ForeignKeyConstraint(['content_id'], ['eval_content.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subdistrict_id'], ['subdistrict.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['eval_task.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eval_material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eval_material_content_id'), ['content_id'], unique=False)

    op.create_table('eval_material_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['eval_material.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('eval_material_review', schema=None) as batch_op:
        batch_op.create_index('ix_eval_review_material_at', ['material_id', 'at'], unique=False)

    op.create_table('eval_material_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=255), nullable=True),
    sa.Column('file_kind', sa.String(length=8), nullable=False),
    sa.Column('display_name', sa.String(length=160), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['eval_material.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('material_id', 'version')
    )
    op.create_table('eval_task_problem',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('problem_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['eval_task.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'problem_id')
    )
    # a plain ADD COLUMN (SQLite's batch mode would copy the whole problem table)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE problem ADD COLUMN site_inspection_id INTEGER "
                   "REFERENCES site_inspection (id)")
    else:
        op.add_column("problem", sa.Column("site_inspection_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_problem_site_inspection", "problem", "site_inspection",
                              ["site_inspection_id"], ["id"])

    with op.batch_alter_table('subdistrict', schema=None) as batch_op:
        batch_op.add_column(sa.Column('population', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('subdistrict', schema=None) as batch_op:
        batch_op.drop_column('population')

    with op.batch_alter_table('problem', schema=None) as batch_op:
        batch_op.drop_column('site_inspection_id')

    op.drop_table('eval_task_problem')
    op.drop_table('eval_material_version')
    with op.batch_alter_table('eval_material_review', schema=None) as batch_op:
        batch_op.drop_index('ix_eval_review_material_at')

    op.drop_table('eval_material_review')
    with op.batch_alter_table('eval_material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_material_content_id'))

    op.drop_table('eval_material')
    op.drop_table('site_inspection_result')
    with op.batch_alter_table('eval_task', schema=None) as batch_op:
        batch_op.drop_index('ix_eval_task_content')

    op.drop_table('eval_task')
    op.drop_table('eval_content_category')
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_answer_question')

    op.drop_table('survey_answer')
    with op.batch_alter_table('site_inspection', schema=None) as batch_op:
        batch_op.drop_index('ix_site_inspection_site_at')
        batch_op.drop_index(batch_op.f('ix_site_inspection_inspected_at'))

    op.drop_table('site_inspection')
    op.drop_table('inspection_round_site')
    with op.batch_alter_table('eval_content', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_content_item_id'))

    op.drop_table('eval_content')
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_response_sub_on')

    op.drop_table('survey_response')
    with op.batch_alter_table('eval_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eval_item_part_id'))

    op.drop_table('eval_item')
    with op.batch_alter_table('site_checklist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_checklist_item_category_id'))

    op.drop_table('site_checklist_item')
    op.drop_table('eval_part')
    op.drop_table('survey_question')
    op.drop_table('inspection_round')
    op.drop_table('eval_edition')
