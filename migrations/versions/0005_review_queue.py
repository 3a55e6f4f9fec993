"""The review queue: assignments, recusals, notes, messages, eligibility, recommendations, decisions,
saved views, the e-mail outbox, staff notifications, the case columns the queue sorts and filters on,
and the full-text search index (FTS5 on SQLite, tsvector + GIN on PostgreSQL).

Cases that existed before this revision get their queue columns from their rows here; their clock
columns are filled by `flask --app sandbox cases refresh-queue`, which needs the working-day calendar.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 11:36:12.156321
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('user_id', 'name', name='user_name')
    )
    op.create_table('case_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.CheckConstraint("end_reason IS NULL OR end_reason IN ('reassigned', 'recused')", name=op.f('ck_case_assignments_end_reason_known')),
    sa.CheckConstraint("role IN ('case_officer', 'decision_maker')", name=op.f('ck_case_assignments_role_known')),
    sa.CheckConstraint('(ended_at IS NULL) = (end_reason IS NULL)', name=op.f('ck_case_assignments_ended_with_reason')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_case_assignments_assigned_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_assignments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_assignments_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assignments'))
    )
    with op.batch_alter_table('case_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_case_assignments_case_id_role', ['case_id', 'role'], unique=False)
        batch_op.create_index('ix_case_assignments_user_id_ended_at', ['user_id', 'ended_at'], unique=False)

    op.create_table('case_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('from_regulator', sa.Boolean(), nullable=False),
    sa.Column('body', sa.String(length=10000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_messages_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_messages_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index('ix_case_messages_case_id_id', ['case_id', 'id'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=10000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case_id_id', ['case_id', 'id'], unique=False)

    op.create_table('eligibility_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=40), nullable=False),
    sa.Column('rating', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=4000), nullable=False),
    sa.Column('scored_by_id', sa.Integer(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("rating IN ('met', 'partly_met', 'not_met')", name=op.f('ck_eligibility_scores_rating_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_eligibility_scores_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scored_by_id'], ['users.id'], name=op.f('fk_eligibility_scores_scored_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_scores')),
    sa.UniqueConstraint('case_id', 'criterion', name='case_criterion')
    )
    op.create_table('outbox_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=20000), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'sent', 'failed')", name=op.f('ck_outbox_emails_state_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_outbox_emails_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_outbox_emails_recipient_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_emails'))
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_emails_case_id_id', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_outbox_emails_state_id', ['state', 'id'], unique=False)

    op.create_table('recusals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_recusals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recusals_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recusals'))
    )
    with op.batch_alter_table('recusals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recusals_case_id'), ['case_id'], unique=False)

    op.create_table('recommendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.String(length=10000), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('test_parameters', sa.JSON(), nullable=False),
    sa.Column('transition_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('admit', 'reject', 'waitlist')", name=op.f('ck_recommendations_outcome_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_recommendations_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_recommendations_officer_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['transition_id'], ['case_transitions.id'], name=op.f('fk_recommendations_transition_id_case_transitions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations'))
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index('ix_recommendations_case_id_id', ['case_id', 'id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('decision_maker_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('reasons', sa.String(length=10000), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('test_parameters', sa.JSON(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=True),
    sa.Column('transition_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('admitted', 'rejected', 'rejected_out_of_scope', 'waitlisted', 'sent_back')", name=op.f('ck_decisions_outcome_known')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_decisions_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decision_maker_id'], ['users.id'], name=op.f('fk_decisions_decision_maker_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendations.id'], name=op.f('fk_decisions_recommendation_id_recommendations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['transition_id'], ['case_transitions.id'], name=op.f('fk_decisions_transition_id_case_transitions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_case_id_id', ['case_id', 'id'], unique=False)
        batch_op.create_index('ix_decisions_decided_at', ['decided_at'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_open', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('organisation_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('system_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('sector', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('risk_class', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('case_officer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decision_maker_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock_state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('deadline_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('days_left_when_paused', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('clock_sort_on', sa.Date(), nullable=False, server_default='9999-12-31'))
        batch_op.add_column(sa.Column('checklist_total', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('checklist_outstanding', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            'checklist_counts_consistent', 'checklist_outstanding >= 0 AND checklist_outstanding <= checklist_total')
        batch_op.create_check_constraint(
            'clock_state_known', "clock_state IS NULL OR clock_state IN ('running', 'paused', 'stopped')")
        batch_op.drop_index(batch_op.f('ix_cases_state_updated_at'))
        batch_op.create_index('ix_cases_case_officer_id_clock_sort_on_id', ['case_officer_id', 'clock_sort_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_checklist_outstanding_id', ['checklist_outstanding', 'id'], unique=False)
        batch_op.create_index('ix_cases_clock_sort_on_id', ['clock_sort_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_decision_maker_id_clock_sort_on_id', ['decision_maker_id', 'clock_sort_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_last_activity_at_id', ['last_activity_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_organisation_name_id', ['organisation_name', 'id'], unique=False)
        batch_op.create_index('ix_cases_risk_class_clock_sort_on_id', ['risk_class', 'clock_sort_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_sector_clock_sort_on_id', ['sector', 'clock_sort_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_state_clock_sort_on_id', ['state', 'clock_sort_on', 'id'], unique=False)
        batch_op.create_index('ix_cases_submitted_at_id', ['submitted_at', 'id'], unique=False)
        batch_op.create_index('ix_cases_system_name_id', ['system_name', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cases_case_officer_id_users'), 'users', ['case_officer_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_cases_decision_maker_id_users'), 'users', ['decision_maker_id'], ['id'], ondelete='RESTRICT')
    _fill_queue_columns()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('last_activity_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        for column in ('is_open', 'organisation_name', 'clock_sort_on', 'checklist_total', 'checklist_outstanding'):
            batch_op.alter_column(column, server_default=None)
    _create_open_queue_indexes()

    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('read_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index('ix_notifications_user_id_created_at', ['user_id', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notifications_user_id_users'), 'users', ['user_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint('one_recipient', '(organisation_id IS NULL) <> (user_id IS NULL)')
    _create_search_index()


CLOSED_STATES = ('draft', 'discarded', 'withdrawn', 'lapsed', 'closed', 'rejected', 'terminated')


def _fill_queue_columns():
    op.execute("""UPDATE cases SET
        organisation_name = (SELECT name FROM organisations WHERE organisations.id = cases.organisation_id),
        system_name = (SELECT system_name FROM application_drafts WHERE application_drafts.case_id = cases.id),
        last_activity_at = updated_at""")
    closed = ", ".join(f"'{state}'" for state in CLOSED_STATES)
    op.execute(f"UPDATE cases SET is_open = (state NOT IN ({closed}))")


# The open queue's partial indexes (see Case.__table_args__), made after the last batch rebuild of `cases`.
OPEN_QUEUE_INDEXES = {
    'ix_cases_open_clock_sort_on_id': ['clock_sort_on', 'id'],
    'ix_cases_open_reference': ['reference'],
    'ix_cases_open_organisation_name_id': ['organisation_name', 'id'],
    'ix_cases_open_system_name_id': ['system_name', 'id'],
    'ix_cases_open_state_clock_sort_on_id': ['state', 'clock_sort_on', 'id'],
    'ix_cases_open_checklist_outstanding_id': ['checklist_outstanding', 'id'],
    'ix_cases_open_last_activity_at_id': ['last_activity_at', 'id'],
    'ix_cases_open_submitted_at_id': ['submitted_at', 'id'],
    'ix_cases_open_sector_clock_sort_on_id': ['sector', 'clock_sort_on', 'id'],
    'ix_cases_open_risk_class_clock_sort_on_id': ['risk_class', 'clock_sort_on', 'id'],
    'ix_cases_open_case_officer_id_clock_sort_on_id': ['case_officer_id', 'clock_sort_on', 'id'],
    'ix_cases_open_decision_maker_id_clock_sort_on_id': ['decision_maker_id', 'clock_sort_on', 'id'],
}


def _create_open_queue_indexes():
    for name, columns in OPEN_QUEUE_INDEXES.items():
        op.create_index(name, 'cases', columns, unique=False, sqlite_where=sa.text('is_open = 1'),
                        postgresql_where=sa.text('is_open'))


def _create_search_index():
    """One row per sent case: reference, organisation, system name and the application's text."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE TABLE case_search (case_id INTEGER PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE, '
                   'document TSVECTOR NOT NULL)')
        op.execute('CREATE INDEX ix_case_search_document ON case_search USING GIN (document)')
    else:
        # The case id is the rowid. FTS5 tables take no foreign keys: the application deletes a case's row.
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(document, tokenize='unicode61 remove_diacritics 2')")


def _drop_search_index():
    op.execute('DROP TABLE IF EXISTS case_search')



def downgrade():
    _drop_search_index()
    for name in OPEN_QUEUE_INDEXES:
        op.drop_index(name, table_name='cases')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('one_recipient', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_notifications_user_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_notifications_user_id_created_at')
        batch_op.alter_column('organisation_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('read_at')
        batch_op.drop_column('user_id')

    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('clock_state_known', type_='check')
        batch_op.drop_constraint('checklist_counts_consistent', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_cases_decision_maker_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_cases_case_officer_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_cases_system_name_id')
        batch_op.drop_index('ix_cases_submitted_at_id')
        batch_op.drop_index('ix_cases_state_clock_sort_on_id')
        batch_op.drop_index('ix_cases_sector_clock_sort_on_id')
        batch_op.drop_index('ix_cases_risk_class_clock_sort_on_id')
        batch_op.drop_index('ix_cases_organisation_name_id')
        batch_op.drop_index('ix_cases_last_activity_at_id')
        batch_op.drop_index('ix_cases_decision_maker_id_clock_sort_on_id')
        batch_op.drop_index('ix_cases_clock_sort_on_id')
        batch_op.drop_index('ix_cases_checklist_outstanding_id')
        batch_op.drop_index('ix_cases_case_officer_id_clock_sort_on_id')
        batch_op.create_index(batch_op.f('ix_cases_state_updated_at'), ['state', 'updated_at'], unique=False)
        batch_op.drop_column('last_activity_at')
        batch_op.drop_column('checklist_outstanding')
        batch_op.drop_column('checklist_total')
        batch_op.drop_column('clock_sort_on')
        batch_op.drop_column('days_left_when_paused')
        batch_op.drop_column('deadline_on')
        batch_op.drop_column('clock_state')
        batch_op.drop_column('decision_maker_id')
        batch_op.drop_column('case_officer_id')
        batch_op.drop_column('risk_class')
        batch_op.drop_column('sector')
        batch_op.drop_column('system_name')
        batch_op.drop_column('organisation_name')
        batch_op.drop_column('is_open')

    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_decided_at')
        batch_op.drop_index('ix_decisions_case_id_id')

    op.drop_table('decisions')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendations_case_id_id')

    op.drop_table('recommendations')
    with op.batch_alter_table('recusals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recusals_case_id'))

    op.drop_table('recusals')
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_emails_state_id')
        batch_op.drop_index('ix_outbox_emails_case_id_id')

    op.drop_table('outbox_emails')
    op.drop_table('eligibility_scores')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case_id_id')

    op.drop_table('case_notes')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_case_messages_case_id_id')

    op.drop_table('case_messages')
    with op.batch_alter_table('case_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_case_assignments_user_id_ended_at')
        batch_op.drop_index('ix_case_assignments_case_id_role')

    op.drop_table('case_assignments')
    op.drop_table('saved_views')
