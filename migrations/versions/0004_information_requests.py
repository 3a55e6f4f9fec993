"""Information requests and their questions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:26:57.764940

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('information_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('revision_number', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'answered', 'lapsed')", name=op.f('ck_information_requests_status_known')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_information_requests_answered_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_information_requests_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_information_requests_sent_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_requests'))
    )
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.create_index('ix_information_requests_case_id_status', ['case_id', 'status'], unique=False)
        batch_op.create_index('ix_information_requests_status_due_on', ['status', 'due_on'], unique=False)

    op.create_table('information_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('answer', sa.String(length=10000), nullable=True),
    sa.CheckConstraint('position >= 1', name=op.f('ck_information_questions_position_positive')),
    sa.ForeignKeyConstraint(['request_id'], ['information_requests.id'], name=op.f('fk_information_questions_request_id_information_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_questions')),
    sa.UniqueConstraint('request_id', 'position', name='request_position')
    )


def downgrade():
    op.drop_table('information_questions')
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_information_requests_status_due_on')
        batch_op.drop_index('ix_information_requests_case_id_status')

    op.drop_table('information_requests')
