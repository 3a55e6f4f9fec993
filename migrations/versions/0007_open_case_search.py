"""A search index of open cases only, so searching the working queue costs the same whatever the history.

The full index (0005) holds every sent case; a word common in applications matches a number of cases that
grows with the years, and a search of the open queue then read all of them to keep the open few. The open
cases' documents are now indexed apart as well: on PostgreSQL a partial GIN index over the rows of open cases
(`case_search.is_open`), on SQLite a second FTS5 table (`case_search_open`), since FTS5 has no partial index.

A trigger on `cases.is_open` keeps it true whatever moves a case (the workflow, the demo data, a bulk script):
opening a case copies its document in, closing it takes the document out. Writing a case's document (at
submission, and at each answered information request) writes both (see sandbox/reviews/search.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:02:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE case_search ADD COLUMN is_open BOOLEAN NOT NULL DEFAULT false')
        op.execute('UPDATE case_search SET is_open = true FROM cases WHERE cases.id = case_search.case_id '
                   'AND cases.is_open')
        op.execute('CREATE INDEX ix_case_search_open_document ON case_search USING GIN (document) WHERE is_open')
        op.execute("""
            CREATE FUNCTION case_search_follow_is_open() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE case_search SET is_open = NEW.is_open WHERE case_id = NEW.id;
                RETURN NULL;
            END $$""")
        op.execute('CREATE TRIGGER tr_cases_search_is_open AFTER UPDATE OF is_open ON cases FOR EACH ROW '
                   'WHEN (OLD.is_open IS DISTINCT FROM NEW.is_open) EXECUTE FUNCTION case_search_follow_is_open()')
    else:
        op.execute("CREATE VIRTUAL TABLE case_search_open USING fts5(document, "
                   "tokenize='unicode61 remove_diacritics 2')")
        op.execute('INSERT INTO case_search_open (rowid, document) SELECT case_search.rowid, case_search.document '
                   'FROM case_search JOIN cases ON cases.id = case_search.rowid WHERE cases.is_open')
        op.execute("""
            CREATE TRIGGER tr_cases_search_is_open AFTER UPDATE OF is_open ON cases
            WHEN OLD.is_open IS NOT NEW.is_open
            BEGIN
                DELETE FROM case_search_open WHERE rowid = NEW.id;
                INSERT INTO case_search_open (rowid, document)
                    SELECT rowid, document FROM case_search WHERE rowid = NEW.id AND NEW.is_open;
            END""")


def downgrade():
    op.execute('DROP TRIGGER IF EXISTS tr_cases_search_is_open' + (
        ' ON cases' if op.get_bind().dialect.name == 'postgresql' else ''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS case_search_follow_is_open()')
        op.execute('DROP INDEX IF EXISTS ix_case_search_open_document')
        op.execute('ALTER TABLE case_search DROP COLUMN is_open')
    else:
        op.execute('DROP TABLE IF EXISTS case_search_open')
