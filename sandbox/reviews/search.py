"""Full-text search over sent cases: reference, organisation, AI system name and the application's text.

The index is one row per case, made by the migrations because it differs by database: an FTS5 table on
SQLite (the case id is its rowid) and a tsvector column with a GIN index on PostgreSQL. Both match the
same way: every word typed must start a word of the case's text (so "auro cred" finds "Aurora Credit").

Open cases are indexed apart as well (a second FTS5 table on SQLite, a partial GIN index on PostgreSQL; a
trigger on `cases.is_open` moves a case in and out), so a search of the working queue reads the open cases'
documents only: its cost follows the team's workload, not the years of history (migration 0007). On SQLite the
index of every case also keeps prefix indexes (migration 0009): FTS5 otherwise answers a prefix by merging the
lists of every case holding a word that starts with it, a cost that grows with the history.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op
from sqlalchemy.sql.selectable import TextualSelect

from sandbox.cases.models import Case

MAX_TERMS = 8
MAX_QUERY_LENGTH = 200
_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(query: str) -> list[str]:
    """The words of a query, lower-cased; punctuation and search-engine syntax are not special."""
    return [word.lower() for word in _WORD.findall(query[:MAX_QUERY_LENGTH])][:MAX_TERMS]


def case_document(case: Case, answers: dict[str, Any]) -> tuple[str, str]:
    """(heading, body): the words that name the case, and the application's own words."""
    heading = " ".join(filter(None, [case.reference, case.organisation_name, case.system_name]))
    body: list[str] = []
    for section in answers.values():
        for value in (section or {}).values():
            if isinstance(value, str):
                body.append(value)
            elif isinstance(value, list):
                body.extend(str(item) for item in value)
    return heading, "\n".join(body)


def words_only(text: str) -> str:
    """The words of `text`, separated by spaces, as PostgreSQL is given them to index.

    Its parser would read "SBX-2026-0042" as the word "sbx" and the signed numbers -2026 and -0042, which
    no search for the reference could match, and an e-mail address as one word; SQLite's tokenizer already
    splits at every character that is not part of a word, so both databases find the same cases.
    """
    return " ".join(_WORD.findall(text))


def index_case(session: Session, case: Case, answers: dict[str, Any]) -> None:
    """Write (or rewrite) the case's entry in the search index; flushes with the caller's transaction."""
    heading, body = case_document(case, answers)
    if session.get_bind().dialect.name == "postgresql":
        heading, body = words_only(heading), words_only(body)
        session.execute(text(
            "INSERT INTO case_search (case_id, document, is_open) VALUES (:id, setweight(to_tsvector('simple',"
            " :heading), 'A') || to_tsvector('simple', :body), :is_open) ON CONFLICT (case_id) DO UPDATE"
            " SET document = EXCLUDED.document, is_open = EXCLUDED.is_open"),
            {"id": case.id, "heading": heading, "body": body, "is_open": bool(case.is_open)})
        return
    document = {"id": case.id, "document": f"{heading}\n{body}"}
    for table, wanted in (("case_search", True), ("case_search_open", bool(case.is_open))):
        session.execute(text(f"DELETE FROM {table} WHERE rowid = :id"), document)  # noqa: S608 - our table
        if wanted:
            session.execute(text(f"INSERT INTO {table} (rowid, document) VALUES (:id, :document)"),  # noqa: S608
                            document)


def matching_cases(dialect: str, terms: list[str], *, open_only: bool = False, few_candidates: bool = False,
                   most_recent: int | None = None) -> ColumnElement[bool]:
    """A condition on Case: the case's text contains every term (as the start of a word).

    `open_only`: the view holds open cases only, so the open cases' index is enough (and bounded).
    `few_candidates`: the other conditions leave a set of bounded size (a state). SQLite then walks those
    cases in the page's order and looks each one up among the matches (`+cases.id` keeps it from reading the
    case of every match instead, which a common word makes cost as much as the whole history).
    `most_recent`: search the whole history, but keep only that many of the most recently sent matches (case ids
    grow with time), so a common word costs the same in year ten as in year one; the queue says so.
    """
    limit = f" ORDER BY {'case_id' if dialect == 'postgresql' else 'rowid'} DESC LIMIT {int(most_recent)}" \
        if most_recent else ""
    if dialect == "postgresql":
        expression = " & ".join(f"{term}:*" for term in terms)
        only_open = " AND is_open" if open_only else ""
        statement = "SELECT case_id FROM case_search WHERE document @@ to_tsquery('simple', :terms)" + only_open  # noqa: S608 - fixed text
        matches = text(statement + limit).bindparams(terms=expression).columns(case_id=Case.id.type)
        condition = Case.id.in_(_once(matches) if most_recent else matches)
        # PostgreSQL's counterpart of `+cases.id` below: "(... IN ...) IS TRUE" is not turned into a join, so
        # the matches become one hashed set that the walk over the bounded cases, in the page's order, probes
        # (and stops after a page); as a join it read and sorted every match (10.9 -> 4.5 ms, a common word).
        return condition.is_(true()) if few_candidates else condition
    expression = " AND ".join(f'"{term}"*' for term in terms)
    table = "case_search_open" if open_only else "case_search"
    case_id = UnaryExpression(Case.id, operator=custom_op("+"), type_=Case.id.type) if few_candidates else Case.id
    matches = (text(f"SELECT rowid FROM {table} WHERE {table} MATCH :terms{limit}")  # noqa: S608 - our table
               .bindparams(terms=expression).columns(rowid=Case.id.type))
    return case_id.in_(_once(matches) if most_recent else matches)


def _once(matches: TextualSelect) -> Select[Any]:
    """The bounded matches as a common table expression, so a statement that asks twice (the page's rows and
    its count) searches once: both databases materialise a CTE named more than once."""
    table = matches.cte("search_matches")
    return select(*table.c)
