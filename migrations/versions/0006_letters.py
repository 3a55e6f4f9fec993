"""The letter register: letters (drafts, issued and superseded, with their PDF bytes), the yearly letter
counters that number them gap-free, and batches of letters issued together by a job.

An issued letter never changes: besides the CHECK constraints, a trigger (plpgsql on PostgreSQL, RAISE(ABORT) on
SQLite) refuses any update of an issued letter's content columns, and lets its state move only from issued to
superseded. (A later migration that rebuilds `letters` in SQLite batch mode must create the trigger again.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:37:33.034821
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.CheckConstraint('last_number >= 0', name=op.f('ck_letter_counters_last_number_not_negative')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_letter_counters'))
    )
    op.create_table('letter_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('letter_ids', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_letter_batches_requested_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_batches'))
    )
    with op.batch_alter_table('letter_batches', schema=None) as batch_op:
        batch_op.create_index('ix_letter_batches_requested_by_id_id', ['requested_by_id', 'id'], unique=False)

    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('information_request_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('pdf_size', sa.Integer(), nullable=True),
    sa.Column('drafted_by_id', sa.Integer(), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issue_key', sa.String(length=100), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(state = 'superseded') = (superseded_at IS NOT NULL)", name=op.f('ck_letters_superseded_when_replaced')),
    sa.CheckConstraint("kind IN ('admission', 'rejection', 'waitlist', 'information_request', 'suspension', 'termination', 'exit')", name=op.f('ck_letters_kind_known')),
    sa.CheckConstraint("state <> 'draft' OR (number IS NULL AND year IS NULL AND sequence IS NULL AND content_sha256 IS NULL AND pdf IS NULL AND pdf_sha256 IS NULL AND pdf_size IS NULL AND issued_at IS NULL AND issued_by_id IS NULL)", name=op.f('ck_letters_draft_not_issued')),
    sa.CheckConstraint("state = 'draft' OR (number IS NOT NULL AND year IS NOT NULL AND sequence IS NOT NULL AND content_sha256 IS NOT NULL AND pdf IS NOT NULL AND pdf_sha256 IS NOT NULL AND pdf_size IS NOT NULL AND issued_at IS NOT NULL AND issued_by_id IS NOT NULL)", name=op.f('ck_letters_issued_complete')),
    sa.CheckConstraint("state IN ('draft', 'issued', 'superseded')", name=op.f('ck_letters_state_known')),
    sa.CheckConstraint('sequence IS NULL OR sequence >= 1', name=op.f('ck_letters_sequence_positive')),
    sa.CheckConstraint('supersedes_id IS NULL OR supersedes_id <> id', name=op.f('ck_letters_not_superseding_itself')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_letters_version_positive')),
    sa.CheckConstraint('edition >= 1', name=op.f('ck_letters_edition_positive')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_letters_case_id_cases'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_letters_decision_id_decisions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['users.id'], name=op.f('fk_letters_drafted_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['information_request_id'], ['information_requests.id'], name=op.f('fk_letters_information_request_id_information_requests'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_letters_issued_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['letters.id'], name=op.f('fk_letters_supersedes_id_letters'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('number', name=op.f('uq_letters_number')),
    sa.UniqueConstraint('pdf_sha256', name=op.f('uq_letters_pdf_sha256')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_letters_supersedes_id')),
    sa.UniqueConstraint('year', 'sequence', name='year_sequence'),
    sa.UniqueConstraint('decision_id', 'edition', name='decision_edition'),
    sa.UniqueConstraint('information_request_id', 'edition', name='information_request_edition')
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index('ix_letters_case_id_id', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_letters_issued_at_id', ['issued_at', 'id'], unique=False)
        batch_op.create_index('ix_letters_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_letters_state_id', ['state', 'id'], unique=False)
    _create_freeze_trigger()


def downgrade():
    _drop_freeze_trigger()
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index('ix_letters_state_id')
        batch_op.drop_index('ix_letters_kind_id')
        batch_op.drop_index('ix_letters_issued_at_id')
        batch_op.drop_index('ix_letters_case_id_id')

    op.drop_table('letters')
    with op.batch_alter_table('letter_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_letter_batches_requested_by_id_id')

    op.drop_table('letter_batches')
    op.drop_table('letter_counters')


# Kept in step with sandbox.decisions.letters.FROZEN_COLUMNS.
FROZEN_COLUMNS = ('case_id', 'decision_id', 'information_request_id', 'kind', 'edition', 'number', 'year', 'sequence',
                  'data', 'content_sha256', 'pdf', 'pdf_sha256', 'pdf_size', 'issued_by_id', 'issued_at',
                  'drafted_by_id', 'drafted_at')
REFUSAL = 'an issued letter cannot be changed; issue a correction that supersedes it'


def _create_freeze_trigger():
    if op.get_bind().dialect.name == 'postgresql':
        # json has no equality operator, so the data is compared as text.
        changed = ' OR '.join(f'NEW.{c}::text IS DISTINCT FROM OLD.{c}::text' if c == 'data'
                              else f'NEW.{c} IS DISTINCT FROM OLD.{c}' for c in FROZEN_COLUMNS)
        op.execute(f"""
            CREATE FUNCTION letters_refuse_change_once_issued() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.state <> 'draft' AND (
                        {changed}
                        OR NOT (NEW.state = OLD.state OR (OLD.state = 'issued' AND NEW.state = 'superseded'))) THEN
                    RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END $$""")
        op.execute('CREATE TRIGGER tr_letters_frozen_once_issued BEFORE UPDATE ON letters FOR EACH ROW '
                   'EXECUTE FUNCTION letters_refuse_change_once_issued()')
    else:
        changed = ' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in FROZEN_COLUMNS)
        op.execute(f"""
            CREATE TRIGGER tr_letters_frozen_once_issued BEFORE UPDATE ON letters
            WHEN OLD.state <> 'draft' AND (
                {changed}
                OR NOT (NEW.state = OLD.state OR (OLD.state = 'issued' AND NEW.state = 'superseded')))
            BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END""")


def _drop_freeze_trigger():
    op.execute('DROP TRIGGER IF EXISTS tr_letters_frozen_once_issued' + (
        ' ON letters' if op.get_bind().dialect.name == 'postgresql' else ''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS letters_refuse_change_once_issued()')
