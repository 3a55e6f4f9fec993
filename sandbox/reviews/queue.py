"""The review queue: which sent cases a member of staff sees, filtered, searched, sorted and paged by keyset.

A page is one indexed statement over the case's own queue columns (see Case): the page's rows, each carrying
the view's count, capped. It costs the same with a thousand cases as with a hundred thousand: keyset
pagination reads the sort index from where the last page ended instead of skipping rows, the count stops at
COUNT_CAP, and the open queue (the default) reads the partial indexes of open cases only, whose size is the
team's workload, not the history (bench/queue.py measures it).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, exists, false, func, or_, select, text, tuple_
from sqlalchemy.orm import Session, aliased

from sandbox.accounts.conflicts import ConflictDeclaration
from sandbox.accounts.models import User
from sandbox.cases.models import Case
from sandbox.core.errors import DomainError
from sandbox.reviews.search import matching_cases, search_terms
from sandbox.workflow.engine import start_of_regulator_day
from sandbox.workflow.models import WorkflowVersion

PAGE_SIZE = 50
COUNT_CAP = 1000
# A search of every case (state "all") looks among this many of the most recently sent matches (see
# search.matching_cases): more than COUNT_CAP, so "More than 1,000 cases match" still shows when it is true.
SEARCH_HISTORY_CAP = COUNT_CAP + 1
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class SortSpec:
    key: str
    columns: tuple[Any, ...]  # the ORDER BY columns, the last one unique (the keyset)
    default_descending: bool = False


SORTS: dict[str, SortSpec] = {spec.key: spec for spec in (
    SortSpec("deadline", (Case.clock_sort_on, Case.id)),
    SortSpec("reference", (Case.reference,)),
    SortSpec("organisation", (Case.organisation_name, Case.id)),
    SortSpec("system", (Case.system_name, Case.id)),
    SortSpec("state", (Case.state, Case.clock_sort_on, Case.id)),
    SortSpec("checklist", (Case.checklist_outstanding, Case.id)),
    SortSpec("activity", (Case.last_activity_at, Case.id), default_descending=True),
    SortSpec("submitted", (Case.submitted_at, Case.id), default_descending=True),
)}


@dataclass(frozen=True)
class QueueQuery:
    """One view of the queue, as the URL carries it (see web/queue.py for the parsing)."""

    state: str = "open"  # "open", "all" or one state's name
    sector: str | None = None
    risk_class: str | None = None
    assignee: str | None = None  # a user id, "mine" or "unassigned"
    overdue: bool = False
    submitted_from: date | None = None
    submitted_to: date | None = None
    search: str = ""
    sort: str = "deadline"
    descending: bool | None = None  # None: the sort's natural direction
    after: str | None = None  # keyset cursors
    before: str | None = None

    @property
    def is_descending(self) -> bool:
        return SORTS[self.sort].default_descending if self.descending is None else self.descending


@dataclass
class QueueRow:
    id: int
    version: int
    reference: str
    organisation_name: str
    system_name: str | None
    sector: str | None
    risk_class: str | None
    state: str
    case_officer_id: int | None
    case_officer_name: str | None
    decision_maker_name: str | None
    checklist_total: int
    checklist_outstanding: int
    clock_state: str | None
    deadline_on: date | None
    days_left_when_paused: int | None
    last_activity_at: datetime
    submitted_at: datetime
    workflow_version_id: int
    workflow_checksum: str
    cursor: str = ""


@dataclass
class QueuePage:
    rows: list[QueueRow]
    count: int
    count_is_capped: bool
    next_cursor: str | None
    previous_cursor: str | None


def visible_cases(viewer_id: int) -> ColumnElement[bool]:
    """Sent cases of organisations the viewer has no declared conflict with."""
    conflicted = exists().where(ConflictDeclaration.user_id == viewer_id,
                                ConflictDeclaration.organisation_id == Case.organisation_id)
    return and_(Case.reference.is_not(None), ~conflicted)


def filter_conditions(query: QueueQuery, viewer_id: int, dialect: str, today: date) -> list[ColumnElement[bool]]:
    conditions = [visible_cases(viewer_id)]
    if query.state == "open":
        # Spelled as the partial indexes' WHERE (see Case), so both databases use them: `is_open = 1` on SQLite.
        conditions.append(Case.is_open)
    elif query.state != "all":
        conditions.append(Case.state == query.state)
    if query.sector:
        conditions.append(Case.sector == query.sector)
    if query.risk_class:
        conditions.append(Case.risk_class == query.risk_class)
    if query.assignee == "mine":
        conditions.append(or_(Case.case_officer_id == viewer_id, Case.decision_maker_id == viewer_id))
    elif query.assignee == "unassigned":
        conditions.append(Case.case_officer_id.is_(None))
    elif query.assignee:
        conditions.append(Case.case_officer_id == int(query.assignee))
    if query.overdue:
        # Only running clocks have a real date as their sort key (see Case.clock_sort_on).
        conditions.append(and_(Case.clock_sort_on < today, Case.clock_state == "running"))
    if query.submitted_from:
        conditions.append(Case.submitted_at >= start_of_regulator_day(query.submitted_from))
    if query.submitted_to:
        conditions.append(Case.submitted_at < start_of_regulator_day(query.submitted_to + timedelta(days=1)))
    terms = search_terms(query.search)
    if terms:
        conditions.append(matching_cases(dialect, terms, open_only=query.state == "open",
                                         few_candidates=_has_few_candidates(query),
                                         most_recent=SEARCH_HISTORY_CAP if query.state == "all" else None))
    elif query.search.strip():
        conditions.append(false())  # only punctuation: nothing can match
    return conditions


def _has_few_candidates(query: QueueQuery) -> bool:
    """Whether the state filter leaves a set whose size does not grow with the years (the open queue, a state's
    cases): walking it in order, looking each case up among a search's matches, then costs the same at any size.
    Across all cases, starting from the matches is cheaper. (The open queue searches the open cases' own index,
    so its matches are few as well.)"""
    return query.state != "all"


def _row_query() -> Select[Any]:
    officer, decider = aliased(User), aliased(User)
    return (select(Case.id, Case.version, Case.reference, Case.organisation_name, Case.system_name, Case.sector,
                   Case.risk_class, Case.state, Case.case_officer_id, officer.full_name, decider.full_name,
                   Case.checklist_total, Case.checklist_outstanding, Case.clock_state, Case.deadline_on,
                   Case.days_left_when_paused, Case.last_activity_at, Case.submitted_at, Case.workflow_version_id,
                   WorkflowVersion.source_sha256, Case.clock_sort_on)
            .join(WorkflowVersion, WorkflowVersion.id == Case.workflow_version_id)
            .outerjoin(officer, officer.id == Case.case_officer_id)
            .outerjoin(decider, decider.id == Case.decision_maker_id))


def load_page(session: Session, query: QueueQuery, viewer_id: int, today: date) -> QueuePage:
    """One page of the queue: one statement, its rows each carrying the view's capped count."""
    dialect = session.get_bind().dialect.name
    conditions = filter_conditions(query, viewer_id, dialect, today)
    spec = SORTS[query.sort]
    descending = query.is_descending
    backwards = query.before is not None and query.after is None
    cursor = query.before if backwards else query.after
    _tune_postgres_planner(session, query)
    statement = _row_query().add_columns(_capped_count(conditions)).where(*conditions)
    if cursor:
        statement = statement.where(_keyset_condition(spec, decode_cursor(cursor, spec), descending != backwards))
    order = [c.desc() if descending != backwards else c.asc() for c in spec.columns]
    fetched = session.execute(statement.order_by(*order).limit(PAGE_SIZE + 1)).all()
    if fetched:
        count = fetched[0][-1]
    elif cursor is None:
        count = 0
    else:  # a link past either end of the view (it changed since): count on its own
        count = session.scalar(select(_capped_count(conditions))) or 0
    has_more = len(fetched) > PAGE_SIZE
    fetched = fetched[:PAGE_SIZE]
    if backwards:
        fetched.reverse()
    rows = [_queue_row(values, spec) for values in fetched]
    at_start = cursor is None or (backwards and not has_more)
    at_end = not backwards and not has_more
    return QueuePage(rows=rows, count=min(count, COUNT_CAP), count_is_capped=count > COUNT_CAP,
                     next_cursor=rows[-1].cursor if rows and not at_end else None,
                     previous_cursor=rows[0].cursor if rows and not at_start else None)


def _tune_postgres_planner(session: Session, query: QueueQuery) -> None:
    """On PostgreSQL, how to plan the view's statement (set_config(..., true) is SET LOCAL: to the transaction's end).

    Plans for this view's own values: psycopg prepares a statement run five times, and PostgreSQL may then reuse
    a generic plan, which cannot tell a common search word or a busy state from a rare one (a state's page took
    twice as long). A search of a bounded set also plans without table scans: the planner does not count reading
    a document out of TOAST storage, so for a common word it would read every document (300 ms at 100,000 cases)
    rather than the GIN index or the candidates' own documents (5-15 ms); and without JIT, which a plan that must
    still scan a (small) table would otherwise look costly enough to compile (60 ms).
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    settings = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)"
    if search_terms(query.search) and _has_few_candidates(query):
        settings += ", set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)"
    session.execute(text(settings))


def _capped_count(conditions: list[ColumnElement[bool]]) -> ScalarSelect[int]:
    """How many cases match, counting no further than COUNT_CAP + 1 (evaluated once per statement)."""
    return (select(func.count()).select_from(select(Case.id).where(*conditions).limit(COUNT_CAP + 1).subquery())
            .scalar_subquery())


def iter_export(session: Session, query: QueueQuery, viewer_id: int, today: date) -> Iterator[QueueRow]:
    """Every row of the view (no paging), in its order, streamed."""
    dialect = session.get_bind().dialect.name
    spec = SORTS[query.sort]
    order = [c.desc() if query.is_descending else c.asc() for c in spec.columns]
    _tune_postgres_planner(session, query)
    statement = (_row_query().where(*filter_conditions(query, viewer_id, dialect, today)).order_by(*order)
                 .limit(EXPORT_LIMIT).execution_options(yield_per=500))
    for values in session.execute(statement):
        yield _queue_row(values, spec)


def _queue_row(values: Any, spec: SortSpec) -> QueueRow:
    row = QueueRow(*values[:20])
    sort_values = {"clock_sort_on": values[20], **vars(row)}
    row.cursor = encode_cursor([sort_values[column.key] for column in spec.columns])
    return row


def _keyset_condition(spec: SortSpec, values: list[Any], descending: bool) -> ColumnElement[bool]:
    columns = tuple_(*spec.columns) if len(spec.columns) > 1 else spec.columns[0]
    marker = tuple_(*values) if len(spec.columns) > 1 else values[0]
    return columns < marker if descending else columns > marker


def encode_cursor(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, spec: SortSpec) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(spec.columns):
            raise ValueError
        return [_typed(value, column) for value, column in zip(raw, spec.columns, strict=True)]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise DomainError(_("That page link is not valid. Go back to the first page of the queue.")) from None


def _typed(value: Any, column: Any) -> Any:
    python_type = column.type.python_type
    if value is None:
        return None
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    if not isinstance(value, python_type):
        raise ValueError
    return value
