"""Full-text search over sent cases: reference, organisation, AI system name and the application's text.

The index is one row per case, made by the migrations because it differs by database: an FTS5 table on
SQLite (the case id is its rowid) and a tsvector column with a GIN index on PostgreSQL. Both match the
same way: every word typed must start a word of the case's text (so "auro cred" finds "Aurora Credit").
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

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
            "INSERT INTO case_search (case_id, document) VALUES (:id, setweight(to_tsvector('simple', :heading), 'A')"
            " || to_tsvector('simple', :body)) ON CONFLICT (case_id) DO UPDATE SET document = EXCLUDED.document"),
            {"id": case.id, "heading": heading, "body": body})
    else:
        session.execute(text("DELETE FROM case_search WHERE rowid = :id"), {"id": case.id})
        session.execute(text("INSERT INTO case_search (rowid, document) VALUES (:id, :document)"),
                        {"id": case.id, "document": f"{heading}\n{body}"})


def matching_cases(dialect: str, terms: list[str], *, few_candidates: bool = False) -> ColumnElement[bool]:
    """A condition on Case: the case's text contains every term (as the start of a word).

    `few_candidates`: the other conditions leave a set of bounded size (the open queue, a state). SQLite then
    walks those cases in the page's order and looks each one up among the matches (`+cases.id` keeps it from
    reading the case of every match instead, which a common word makes cost as much as the whole history).
    """
    if dialect == "postgresql":
        expression = " & ".join(f"{term}:*" for term in terms)
        return Case.id.in_(text("SELECT case_id FROM case_search WHERE document @@ to_tsquery('simple', :terms)")
                           .bindparams(terms=expression).columns(case_id=Case.id.type))
    expression = " AND ".join(f'"{term}"*' for term in terms)
    case_id = UnaryExpression(Case.id, operator=custom_op("+"), type_=Case.id.type) if few_candidates else Case.id
    return case_id.in_(text("SELECT rowid FROM case_search WHERE case_search MATCH :terms")
                       .bindparams(terms=expression).columns(rowid=Case.id.type))
