"""search: message text and end users' name and email, indexed in the transaction that writes them

SQLite: two FTS5 tables over the rows themselves (external content, keyed by the tables' rowids), kept by triggers,
so the message path adds no statement of its own. PostgreSQL: GIN indexes over `tsvector` expressions (config
`simple`: whole words, lower-cased, no stemming). Both split text into runs of letters and digits, the same rule
`parley.storage.repositories.search` applies to a query's words; the expressions here must stay equal to the ones it
queries with.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 21:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "unicode61 remove_diacritics 0"
# No per-row column sizes: they serve only bm25 ranking, which search does not use (results are newest first), and
# each insert would write one more row.
OPTIONS = f"columnsize=0, tokenize='{TOKENIZE}'"

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE message_search USING fts5(body, content='messages', {OPTIONS})",
    "INSERT INTO message_search (rowid, body) SELECT rowid, body FROM messages WHERE body IS NOT NULL",
    """CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN new.body IS NOT NULL BEGIN
        INSERT INTO message_search (rowid, body) VALUES (new.rowid, new.body);
    END""",
    """CREATE TRIGGER message_search_delete AFTER DELETE ON messages WHEN old.body IS NOT NULL BEGIN
        INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.rowid, old.body);
    END""",
    """CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO message_search (message_search, rowid, body)
            SELECT 'delete', old.rowid, old.body WHERE old.body IS NOT NULL;
        INSERT INTO message_search (rowid, body) SELECT new.rowid, new.body WHERE new.body IS NOT NULL;
    END""",
    f"CREATE VIRTUAL TABLE end_user_search USING fts5(name, email, content='end_users', {OPTIONS})",
    "INSERT INTO end_user_search (rowid, name, email) SELECT rowid, name, email FROM end_users",
    """CREATE TRIGGER end_user_search_insert AFTER INSERT ON end_users BEGIN
        INSERT INTO end_user_search (rowid, name, email) VALUES (new.rowid, new.name, new.email);
    END""",
    """CREATE TRIGGER end_user_search_delete AFTER DELETE ON end_users BEGIN
        INSERT INTO end_user_search (end_user_search, rowid, name, email)
            VALUES ('delete', old.rowid, old.name, old.email);
    END""",
    """CREATE TRIGGER end_user_search_update AFTER UPDATE OF name, email ON end_users BEGIN
        INSERT INTO end_user_search (end_user_search, rowid, name, email)
            VALUES ('delete', old.rowid, old.name, old.email);
        INSERT INTO end_user_search (rowid, name, email) VALUES (new.rowid, new.name, new.email);
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER end_user_search_update",
    "DROP TRIGGER end_user_search_delete",
    "DROP TRIGGER end_user_search_insert",
    "DROP TABLE end_user_search",
    "DROP TRIGGER message_search_update",
    "DROP TRIGGER message_search_delete",
    "DROP TRIGGER message_search_insert",
    "DROP TABLE message_search",
]

END_USER_TEXT = "coalesce(name, '') || ' ' || coalesce(email, '')"
WORDS = "to_tsvector('simple', regexp_replace({}, '[^[:alnum:]]+', ' ', 'g'))"
POSTGRES_UP = [
    f"CREATE INDEX ix_messages_search ON messages USING gin ({WORDS.format('body')}) WHERE body IS NOT NULL",
    f"CREATE INDEX ix_end_users_search ON end_users USING gin ({WORDS.format(END_USER_TEXT)})",
]
POSTGRES_DOWN = ["DROP INDEX ix_end_users_search", "DROP INDEX ix_messages_search"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_UP if sqlite else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_DOWN if sqlite else POSTGRES_DOWN:
        op.execute(statement)
