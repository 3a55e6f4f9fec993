"""SQLite: prefix indexes on the search of every case, so a search of the whole history costs the same in year ten.

Every word typed must start a word of the case (see sandbox/reviews/search.py), so each is a prefix query. FTS5
answers one by merging the lists of every document holding any word with that prefix before it can intersect
them: for "bank" that was 70,000 of 100,000 cases (6 ms, growing with the history), where an exact word is
walked lazily and skipped through (0.4 ms). A prefix index keeps, for each prefix length listed, one list per
prefix, so a prefix of 3 to 10 letters is read like an exact word (under 1 ms at 100,000 cases). Positions are
dropped at the same time (`detail=column`): no query uses phrases or NEAR, and they were half the index.

Measured at 100,000 seeded cases: 150 MB of index before, 335 MB after; rebuilding took about a minute.
Searches of one or two letters, and of words longer than ten letters, still merge (they are rare, and the open
queue's own index, 0007, stays small). PostgreSQL is unchanged: its GIN index answers prefixes from the index.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 16:30:00
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TOKENIZER = "tokenize='unicode61 remove_diacritics 2'"
PREFIXED = f"fts5(document, detail=column, prefix='3 4 5 6 7 8 9 10', {TOKENIZER})"
PLAIN = f"fts5(document, {TOKENIZER})"
# 0007's trigger reads case_search; it is made again once the table is back under its name.
FOLLOW_IS_OPEN = """
    CREATE TRIGGER tr_cases_search_is_open AFTER UPDATE OF is_open ON cases
    WHEN OLD.is_open IS NOT NEW.is_open
    BEGIN
        DELETE FROM case_search_open WHERE rowid = NEW.id;
        INSERT INTO case_search_open (rowid, document)
            SELECT rowid, document FROM case_search WHERE rowid = NEW.id AND NEW.is_open;
    END"""


def _rebuild(definition: str) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    op.execute('DROP TRIGGER IF EXISTS tr_cases_search_is_open')
    op.execute(f'CREATE VIRTUAL TABLE case_search_rebuilt USING {definition}')
    op.execute('INSERT INTO case_search_rebuilt (rowid, document) SELECT rowid, document FROM case_search')
    op.execute("INSERT INTO case_search_rebuilt (case_search_rebuilt) VALUES ('optimize')")
    op.execute('DROP TABLE case_search')
    op.execute('ALTER TABLE case_search_rebuilt RENAME TO case_search')
    op.execute(FOLLOW_IS_OPEN)


def upgrade():
    _rebuild(PREFIXED)


def downgrade():
    _rebuild(PLAIN)
