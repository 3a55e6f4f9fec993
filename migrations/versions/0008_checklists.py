"""Compliance checklists: template versions and their items, each case's copy of its items (statements, evidence
links, current rating), the rating history, and information questions asked from an item.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 13:39:02.584891

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklist_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('version_label', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('regimes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('edit_version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'published') = (published_at IS NOT NULL)", name=op.f('ck_checklist_templates_published_when_dated')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_checklist_templates_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checklist_templates_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_checklist_templates_published_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_templates')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_checklist_templates_code_version'))
    )
    op.create_table('checklist_template_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('section_code', sa.String(length=60), nullable=False),
    sa.Column('section_title', sa.String(length=200), nullable=False),
    sa.Column('section_position', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('process', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('evidence_required', sa.String(length=20), nullable=False),
    sa.Column('provisions', sa.JSON(), nullable=False),
    sa.CheckConstraint("evidence_required IN ('document', 'note', 'both')", name=op.f('ck_checklist_template_items_evidence_required_known')),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_checklist_template_items_template_id_checklist_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_template_items')),
    sa.UniqueConstraint('template_id', 'code', name=op.f('uq_checklist_template_items_template_id_code'))
    )
    op.create_table('case_checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('template_item_id', sa.Integer(), nullable=True),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('statement_by_id', sa.Integer(), nullable=True),
    sa.Column('statement_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.String(length=20), nullable=True),
    sa.Column('rating_note', sa.Text(), nullable=True),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('section_code', sa.String(length=60), nullable=False),
    sa.Column('section_title', sa.String(length=200), nullable=False),
    sa.Column('section_position', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('process', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('evidence_required', sa.String(length=20), nullable=False),
    sa.Column('provisions', sa.JSON(), nullable=False),
    sa.CheckConstraint("evidence_required IN ('document', 'note', 'both')", name=op.f('ck_case_checklist_items_evidence_required_known')),
    sa.CheckConstraint("rating IN ('met', 'partly_met', 'not_met', 'not_applicable')", name=op.f('ck_case_checklist_items_rating_known')),
    sa.CheckConstraint("rating IS NULL OR rating = 'met' OR rating_note IS NOT NULL", name=op.f('ck_case_checklist_items_note_unless_met')),
    sa.CheckConstraint('(rating IS NULL) = (rated_at IS NULL) AND (rating IS NULL) = (rated_by_id IS NULL)', name=op.f('ck_case_checklist_items_rating_has_rater')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_checklist_items_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_by_id'], ['users.id'], name=op.f('fk_case_checklist_items_rated_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['statement_by_id'], ['users.id'], name=op.f('fk_case_checklist_items_statement_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['template_item_id'], ['checklist_template_items.id'], name=op.f('fk_case_checklist_items_template_item_id_checklist_template_items'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_checklist_items')),
    sa.UniqueConstraint('case_id', 'code', name=op.f('uq_case_checklist_items_case_id_code'))
    )
    with op.batch_alter_table('case_checklist_items', schema=None) as batch_op:
        batch_op.create_index('ix_case_checklist_items_case_id_section_position_position', ['case_id', 'section_position', 'position'], unique=False)

    op.create_table('case_checklists',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('copied_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_checklists_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_templates.id'], name=op.f('fk_case_checklists_template_id_checklist_templates'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_checklists'))
    )
    op.create_table('case_checklist_evidence',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_case_checklist_evidence_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['case_checklist_items.id'], name=op.f('fk_case_checklist_evidence_item_id_case_checklist_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'document_id', name=op.f('pk_case_checklist_evidence'))
    )
    op.create_table('case_checklist_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('rated_by_id', sa.Integer(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rating IN ('met', 'partly_met', 'not_met', 'not_applicable')", name=op.f('ck_case_checklist_ratings_rating_known')),
    sa.ForeignKeyConstraint(['item_id'], ['case_checklist_items.id'], name=op.f('fk_case_checklist_ratings_item_id_case_checklist_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_by_id'], ['users.id'], name=op.f('fk_case_checklist_ratings_rated_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_checklist_ratings'))
    )
    with op.batch_alter_table('case_checklist_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_case_checklist_ratings_item_id_id', ['item_id', 'id'], unique=False)

    with op.batch_alter_table('information_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checklist_item_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_information_questions_checklist_item_id'), ['checklist_item_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_information_questions_checklist_item_id_case_checklist_items'), 'case_checklist_items', ['checklist_item_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('information_questions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_information_questions_checklist_item_id_case_checklist_items'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_information_questions_checklist_item_id'))
        batch_op.drop_column('checklist_item_id')

    with op.batch_alter_table('case_checklist_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_case_checklist_ratings_item_id_id')

    op.drop_table('case_checklist_ratings')
    op.drop_table('case_checklist_evidence')
    op.drop_table('case_checklists')
    with op.batch_alter_table('case_checklist_items', schema=None) as batch_op:
        batch_op.drop_index('ix_case_checklist_items_case_id_section_position_position')

    op.drop_table('case_checklist_items')
    op.drop_table('checklist_template_items')
    op.drop_table('checklist_templates')
