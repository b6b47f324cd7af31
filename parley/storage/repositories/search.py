"""Full-text search: which conversations' messages, and which end users, hold every word of a query.

A query is a list of words; each word is the runs of letters and digits in it (`query_tokens`), matched as a phrase,
whole and case-insensitive, the last run of the last word also as a prefix. The indexes (migration 0013) split the
stored text the same way, so syntax characters in a query are never syntax: only letters and digits reach the
database's query language.

SQLite walks the FTS5 index newest first (rowid order is insertion order) and stops once it holds `limit`
conversations, so a common word reads a few pages, not every match. PostgreSQL first walks the newest conversations
by latest activity (a common word is answered there), then reads up to `POSTGRES_FEW` matches from the GIN index;
past that it walks on, stopping as soon as the newest `limit` are certain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, text

from parley.storage.models import Conversation, Message
from parley.storage.records import ConversationRecord, MessageRecord
from parley.storage.repositories._query import fetch_all, fetch_by_ids

_TOKEN = re.compile(r"[^\W_]+")
SQLITE_PAGE = 200
POSTGRES_FEW = 2000
POSTGRES_PAGE = 200
POSTGRES_FIRST_WALK = 100  # conversations looked at before the GIN index is asked
WALK_START = (2**63 - 1, "")  # before every conversation: (last activity, id)
POSTGRES_WALK_BUDGET = 1000  # conversations the walk may go on to, judged by the first look's rate of hits
END_USERS_FEW = 1000

_POSTGRES_WORDS = "to_tsvector('simple', regexp_replace({}, '[^[:alnum:]]+', ' ', 'g'))"
_POSTGRES_MESSAGE_WORDS = _POSTGRES_WORDS.format("body")
_POSTGRES_END_USER_WORDS = _POSTGRES_WORDS.format("coalesce(name, '') || ' ' || coalesce(email, '')")

Hit = tuple[str, str, int]
"""A conversation's newest matching message: (conversation id, message id, microseconds)."""


def query_tokens(q: str) -> list[list[str]]:
    """The query's words as their lower-cased runs of letters and digits; words with none are left out."""
    words = (_TOKEN.findall(word.lower()) for word in q.split())
    return [tokens for tokens in words if tokens]


def _fts5_query(words: Sequence[Sequence[str]]) -> str:
    phrases = ['"' + " ".join(tokens) + '"' for tokens in words]
    phrases[-1] += "*"
    return " ".join(phrases)


def _tsquery(words: Sequence[Sequence[str]]) -> str:
    phrases = [" <-> ".join(f"'{token}'" for token in tokens) for tokens in words]
    phrases[-1] += ":*"
    return " & ".join(f"({phrase})" for phrase in phrases)


def message_hits(
    conn: Connection,
    workspace_id: str,
    words: Sequence[Sequence[str]],
    limit: int,
    conversation_ids: Sequence[str] | None = None,
) -> list[Hit]:
    """Up to `limit` conversations whose messages match, each with its newest matching message, newest first;
    only among `conversation_ids` when given."""
    if conn.dialect.name == "sqlite":
        return _sqlite_message_hits(conn, workspace_id, words, limit, conversation_ids)
    return _postgres_message_hits(conn, workspace_id, _tsquery(words), limit, conversation_ids, POSTGRES_FEW)


def _newest_per_conversation(rows: Iterable[Sequence[Any]], limit: int) -> list[Hit]:
    newest: dict[str, Hit] = {}
    for conversation_id, message_id, microseconds in rows:
        known = newest.get(conversation_id)
        if known is None or known[2] < microseconds:
            newest[conversation_id] = (conversation_id, message_id, microseconds)
    return sorted(newest.values(), key=lambda hit: hit[2], reverse=True)[:limit]


def _postgres_message_hits(
    conn: Connection,
    workspace_id: str,
    query: str,
    limit: int,
    conversation_ids: Sequence[str] | None,
    few: int,
    first_walk: int = POSTGRES_FIRST_WALK,
) -> list[Hit]:
    """A common word is answered by the newest conversations: the walk (`_postgres_walk`) looks at the latest
    `first_walk` of them first. When they hold the answer, or enough hits that at that rate the answer lies within
    `POSTGRES_WALK_BUDGET` conversations, the walk goes on to it. Otherwise up to `few` matches are read whole from
    the GIN index and grouped here; more would have the index hand over every match before the newest are known,
    and the walk goes on instead.

    Measured on 1,000,000 messages in 100,000 conversations beside a second workspace of that size (bench/search.py):
    a word in a third of the messages took 145 ms by the GIN index (building a bitmap of its 460,000 matches) and
    11 ms by the walk; two such words, 257 ms and under 20 ms; a rare word costs the first look (some 5 ms) more."""
    parameters: dict[str, object] = {"workspace": workspace_id, "query": query}
    if conversation_ids is not None:
        rows = conn.execute(_POSTGRES_MATCHES_AMONG, {**parameters, "ids": list(conversation_ids)}).all()
        return _newest_per_conversation(rows, limit)
    hits: list[Hit] = []
    resume: tuple[int, str] | None = WALK_START
    if first_walk:
        hits, resume = _postgres_walk(conn, parameters, limit, first_walk, pages=1)
        if resume is None:
            return hits
    if not first_walk or len(hits) * POSTGRES_WALK_BUDGET < limit * first_walk:
        rows = conn.execute(_POSTGRES_MATCHES_CAPPED, {**parameters, "cap": few + 1}).all()
        if len(rows) <= few:
            return _newest_per_conversation(rows, limit)
    # Common enough to walk: on from where the first look stopped, keeping what it found.
    return _postgres_walk(conn, parameters, limit, POSTGRES_PAGE, hits=hits, after=resume)[0]


def _postgres_walk(
    conn: Connection,
    parameters: dict[str, object],
    limit: int,
    page_size: int,
    pages: int | None = None,
    hits: list[Hit] | None = None,
    after: tuple[int, str] | None = None,
) -> tuple[list[Hit], tuple[int, str] | None]:
    """Conversations by latest activity, a page at a time from `after` on, each with its newest matching message
    (found backwards through its (conversation, microseconds) index), added to `hits`. A conversation's messages are
    never newer than its last activity, so the walk stops once `limit` hits are at least as new as the next
    conversation's activity. Returns the newest `limit` hits, and where to go on when `pages` ran out first."""
    hits = list(hits or [])
    after = after or WALK_START
    walked = 0
    while pages is None or walked < pages:
        walked += 1
        page = conn.execute(
            _POSTGRES_WALK, {**parameters, "before_us": after[0], "before_id": after[1], "page": page_size}
        ).all()
        for conversation_id, last_microseconds, message_id, microseconds in page:
            if len(hits) >= limit and hits[limit - 1][2] >= last_microseconds:
                return hits[:limit], None
            if message_id is not None:
                hits.append((conversation_id, message_id, microseconds))
                hits.sort(key=lambda hit: hit[2], reverse=True)
            after = (last_microseconds, conversation_id)
        if len(page) < page_size:
            return hits[:limit], None
    return hits, after


_POSTGRES_MATCH = f"body IS NOT NULL AND {_POSTGRES_MESSAGE_WORDS} @@ to_tsquery('simple', :query)"
# `workspace_id || ''`: the workspace is checked on the matching rows, never through its own index. Given it, the
# planner ANDed a bitmap of the workspace's every message (a million rows, 20 ms) with the words' few matches.
_POSTGRES_MATCHES = (
    "SELECT conversation_id, id, microseconds FROM messages"
    f" WHERE workspace_id || '' = :workspace AND {_POSTGRES_MATCH}"
)
_POSTGRES_MATCHES_CAPPED = text(f"{_POSTGRES_MATCHES} LIMIT :cap")
_POSTGRES_MATCHES_AMONG = text(f"{_POSTGRES_MATCHES} AND conversation_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_POSTGRES_WALK = text(
    "SELECT c.id, c.last_microseconds, hit.id, hit.microseconds FROM conversations AS c"
    " LEFT JOIN LATERAL (SELECT id, microseconds FROM messages"
    f" WHERE conversation_id = c.id AND {_POSTGRES_MATCH} ORDER BY microseconds DESC LIMIT 1) AS hit ON true"
    " WHERE c.workspace_id = :workspace AND (c.last_microseconds, c.id) < (:before_us, :before_id)"
    " ORDER BY c.last_microseconds DESC, c.id DESC LIMIT :page"
)


def _sqlite_message_hits(
    conn: Connection,
    workspace_id: str,
    words: Sequence[Sequence[str]],
    limit: int,
    conversation_ids: Sequence[str] | None,
) -> list[Hit]:
    """Pages of matches newest first, until `limit` distinct conversations are found or the matches end."""
    among = "AND m.conversation_id IN :ids" if conversation_ids is not None else ""
    stmt = text(
        "SELECT f.rowid, m.conversation_id, m.id, m.microseconds FROM message_search AS f"
        " JOIN messages AS m ON m.rowid = f.rowid"
        f" WHERE message_search MATCH :query AND f.rowid < :before AND m.workspace_id = :workspace {among}"
        " ORDER BY f.rowid DESC LIMIT :page"
    )
    parameters: dict[str, object] = {"query": _fts5_query(words), "workspace": workspace_id, "page": SQLITE_PAGE}
    if conversation_ids is not None:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
        parameters["ids"] = list(conversation_ids)
    found: dict[str, Hit] = {}
    before = 2**63 - 1
    while len(found) < limit:
        rows = conn.execute(stmt, {**parameters, "before": before}).all()
        for rowid, conversation_id, message_id, microseconds in rows:
            found.setdefault(conversation_id, (conversation_id, message_id, microseconds))
            before = rowid
        if len(rows) < SQLITE_PAGE:
            break
    return sorted(found.values(), key=lambda hit: hit[2], reverse=True)[:limit]


def end_user_conversations(
    conn: Connection, workspace_id: str, words: Sequence[Sequence[str]], limit: int
) -> list[ConversationRecord]:
    """Up to `limit` conversations of the end users whose name or email matches, latest activity first.

    Up to `END_USERS_FEW` matching end users are read from the index and their conversations sorted. More (a word
    most addresses share, like a mail provider's) would be a long list to sort: the conversations are walked by
    latest activity instead, keeping those whose end user matches, until `limit` are found. Measured on 100,000
    end users a workspace (bench/search.py): a query matching all of them answered in 0.5 ms this way, against
    7.7 s when SQLite's planner walked the workspace's end users and asked the index about each."""
    sqlite = conn.dialect.name == "sqlite"
    parameters = {"workspace": workspace_id, "query": _fts5_query(words) if sqlite else _tsquery(words)}
    few = _SQLITE_END_USERS_CAPPED if sqlite else _POSTGRES_END_USERS_CAPPED
    end_user_ids = [row[0] for row in conn.execute(few, {**parameters, "cap": END_USERS_FEW + 1})]
    if len(end_user_ids) > END_USERS_FEW:
        walk = _SQLITE_END_USERS_WALK if sqlite else _POSTGRES_END_USERS_WALK
        ids = [row[0] for row in conn.execute(walk, {**parameters, "limit": limit})]
        by_id = conversations_by_id(conn, ids)
        return [by_id[conversation_id] for conversation_id in ids]
    if not end_user_ids:
        return []
    # Sorted here: asked to, SQLite's planner would walk the workspace's conversations by activity for these few.
    stmt = select(Conversation).where(
        Conversation.workspace_id == workspace_id, Conversation.end_user_id.in_(end_user_ids)
    )
    found = fetch_all(conn, stmt, ConversationRecord)
    return sorted(found, key=lambda conversation: conversation.last_microseconds, reverse=True)[:limit]


# CROSS JOIN keeps SQLite's join order: the index's matches first, then each one's row.
_SQLITE_END_USERS_CAPPED = text(
    "SELECT u.id FROM end_user_search AS f CROSS JOIN end_users AS u ON u.rowid = f.rowid"
    " WHERE end_user_search MATCH :query AND u.workspace_id = :workspace LIMIT :cap"
)
_SQLITE_END_USERS_WALK = text(
    "SELECT c.id FROM conversations AS c CROSS JOIN end_users AS u ON u.id = c.end_user_id"
    " WHERE c.workspace_id = :workspace"
    " AND u.rowid IN (SELECT rowid FROM end_user_search WHERE end_user_search MATCH :query)"
    " ORDER BY c.last_microseconds DESC LIMIT :limit"
)
_POSTGRES_END_USER_MATCH = f"{_POSTGRES_END_USER_WORDS} @@ to_tsquery('simple', :query)"
_POSTGRES_END_USERS_CAPPED = text(
    f"SELECT id FROM end_users WHERE workspace_id = :workspace AND {_POSTGRES_END_USER_MATCH} LIMIT :cap"
)
_POSTGRES_END_USERS_WALK = text(
    "SELECT c.id FROM conversations AS c JOIN end_users AS u ON u.id = c.end_user_id"
    f" WHERE c.workspace_id = :workspace AND {_POSTGRES_END_USER_MATCH.replace('coalesce(', 'coalesce(u.')}"
    " ORDER BY c.last_microseconds DESC LIMIT :limit"
)


def conversations_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, ConversationRecord]:
    return fetch_by_ids(conn, Conversation, ids, ConversationRecord)


def messages_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, MessageRecord]:
    return fetch_by_ids(conn, Message, ids, MessageRecord)
