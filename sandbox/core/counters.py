"""Gap-free numbers per year (case references, letter numbers) from a counter row locked until the caller's
transaction ends: two transactions never take the same number, and a rolled-back one gives its number back."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ScalarResult, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session


class YearCounter(Protocol):
    year: Mapped[int]
    last_number: Mapped[int]

    def __init__(self, *, year: int, last_number: int) -> None: ...


def take_next_number(session: Session, counter_model: type[YearCounter], year: int) -> int:
    """The next number of `year`. The row is read afresh under its lock (populate_existing), so a copy already
    in the session cannot hand out a number someone else took since."""
    counter = _locked(session, counter_model, year).one_or_none()
    if counter is None:
        try:  # the first number of a year: create the row, tolerating a concurrent creator
            with session.begin_nested():
                session.add(counter_model(year=year, last_number=0))
        except IntegrityError:
            pass
        counter = _locked(session, counter_model, year).one()
    counter.last_number += 1
    session.flush()
    return counter.last_number


def _locked(session: Session, counter_model: type[YearCounter], year: int) -> ScalarResult[YearCounter]:
    return session.scalars(select(counter_model).where(counter_model.year == year).with_for_update()
                           .execution_options(populate_existing=True))
