"""The workflow definition: states, transitions, roles, guards and effects, as validated data.

A definition is loaded from TOML (or from the JSON stored with a published version) and validated
before anything may use it. Every problem found is reported, each naming what is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.core.permissions import Role

PREVIOUS_STATE = "<previous>"
SYSTEM_ROLE = "system"
KNOWN_ROLES = frozenset({*(role.value for role in Role), SYSTEM_ROLE})
CLOCK_BASES = ("working_days", "calendar_days")
DEFAULT_DEFINITION = Path(__file__).with_name("definitions") / "default.toml"


class WorkflowDefinitionError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("the workflow definition is not valid:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class StateDef:
    name: str
    label: str
    applicant_label: str
    is_terminal: bool
    # Decided, though the applicant may still ask for reconsideration: the case leaves the open queue.
    is_settled: bool = False


@dataclass(frozen=True)
class TransitionDef:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    @property
    def returns_to_previous(self) -> bool:
        return self.target == PREVIOUS_STATE


@dataclass(frozen=True)
class ClockDef:
    basis: str
    days: int
    jurisdiction: str
    holiday_categories: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    title: str
    initial_state: str
    reconsideration_days: int
    clock: ClockDef
    states: Mapping[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def transition_for(self, state: str, action: str) -> TransitionDef | None:
        return next((t for t in self.transitions if t.action == action and state in t.sources), None)

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.sources]

    def is_open(self, state: str) -> bool:
        """Whether a case in `state` is with the regulator and not yet finished: sent, and neither ended nor settled."""
        spec = self.states[state]
        return state != self.initial_state and not spec.is_terminal and not spec.is_settled

    def states_returning_to_previous(self) -> frozenset[str]:
        """States left by a `<previous>` transition: entering one remembers where the case came from."""
        return frozenset(s for t in self.transitions if t.returns_to_previous for s in t.sources)


def load_definition_file(path: Path | str, guard_names: Iterable[str],
                         effect_names: Iterable[str]) -> WorkflowDefinition:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise WorkflowDefinitionError([f"the file is not valid TOML: {error}"]) from None
    except OSError as error:
        raise WorkflowDefinitionError([f"the file cannot be read: {error.strerror}"]) from None
    return parse_definition(raw, guard_names, effect_names)


def parse_definition(raw: Mapping[str, Any], guard_names: Iterable[str],
                     effect_names: Iterable[str]) -> WorkflowDefinition:
    problems: list[str] = []
    states = _parse_states(raw.get("states"), problems)
    transitions = _parse_transitions(raw.get("transitions"), problems)
    clock = _parse_clock(raw.get("clock"), problems)
    initial = raw.get("initial_state")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("the workflow has no name")
    if initial not in states:
        problems.append(f"initial_state {initial!r} is not one of the states")
    reconsideration_days = raw.get("reconsideration_days", 30)
    if not isinstance(reconsideration_days, int) or reconsideration_days < 1:
        problems.append("reconsideration_days must be a whole number of days, at least 1")
    if not problems:
        _check_references(states, transitions, set(guard_names), set(effect_names), problems)
    if not problems:  # the graph can only be walked once every name in it resolves
        _check_graph(states, transitions, initial, problems)
    if problems:
        raise WorkflowDefinitionError(problems)
    return WorkflowDefinition(name=name, title=str(raw.get("title", name)), initial_state=initial,
                              reconsideration_days=reconsideration_days, clock=clock,  # type: ignore[arg-type]
                              states=states, transitions=tuple(transitions), raw=dict(raw))


def _parse_states(raw: Any, problems: list[str]) -> dict[str, StateDef]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append("the workflow has no states")
        return {}
    states = {}
    for name, spec in raw.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("label"), str):
            problems.append(f"state {name!r} needs a label")
            continue
        states[name] = StateDef(name=name, label=spec["label"], applicant_label=str(spec.get("applicant_label",
                                spec["label"])), is_terminal=bool(spec.get("terminal", False)),
                                is_settled=bool(spec.get("settled", False)))
    return states


def _parse_transitions(raw: Any, problems: list[str]) -> list[TransitionDef]:
    if not isinstance(raw, list) or not raw:
        problems.append("the workflow has no transitions")
        return []
    transitions = []
    for index, spec in enumerate(raw, start=1):
        action = spec.get("action") if isinstance(spec, Mapping) else None
        where = f"transition {action!r}" if action else f"transition #{index}"
        missing = [key for key in ("action", "from", "to", "roles") if not spec.get(key)] if action else ["action"]
        if missing:
            problems.append(f"{where} is missing {', '.join(missing)}")
            continue
        sources = spec["from"] if isinstance(spec["from"], list) else [spec["from"]]
        transitions.append(TransitionDef(
            action=action, label=str(spec.get("label", action)), sources=tuple(sources), target=spec["to"],
            roles=frozenset(spec["roles"]), guards=tuple(spec.get("guards", ())),
            effects=tuple(spec.get("effects", ())),
        ))
    return transitions


def _parse_clock(raw: Any, problems: list[str]) -> ClockDef:
    raw = raw if isinstance(raw, Mapping) else {}
    basis, days = raw.get("basis"), raw.get("days")
    if basis not in CLOCK_BASES:
        problems.append(f"clock basis {basis!r} must be one of {', '.join(CLOCK_BASES)}")
    if not isinstance(days, int) or days < 1:
        problems.append("clock days must be a whole number of days, at least 1")
    jurisdiction = raw.get("jurisdiction", "HK")
    try:
        import holidays

        holidays.country_holidays(jurisdiction)
    except (NotImplementedError, KeyError):
        problems.append(f"clock jurisdiction {jurisdiction!r} is not known to the holidays package")
    return ClockDef(basis=str(basis), days=days if isinstance(days, int) else 0, jurisdiction=str(jurisdiction),
                    holiday_categories=tuple(raw.get("holiday_categories", ("public",))))


def _check_references(states: Mapping[str, StateDef], transitions: list[TransitionDef], guards: set[str],
                      effects: set[str], problems: list[str]) -> None:
    seen: set[tuple[str, str]] = set()
    for t in transitions:
        where = f"transition {t.action!r}"
        for source in t.sources:
            if source not in states:
                problems.append(f"{where} starts from unknown state {source!r}")
            if (source, t.action) in seen:
                problems.append(f"{where} is defined twice for state {source!r}")
            seen.add((source, t.action))
        if t.target != PREVIOUS_STATE and t.target not in states:
            problems.append(f"{where} leads to unknown state {t.target!r}")
        problems.extend(f"{where} names unknown role {role!r}" for role in sorted(t.roles - KNOWN_ROLES))
        problems.extend(f"{where} names unknown guard {g!r}" for g in t.guards if g not in guards)
        problems.extend(f"{where} names unknown effect {e!r}" for e in t.effects if e not in effects)


def _check_graph(states: Mapping[str, StateDef], transitions: list[TransitionDef], initial: str,
                 problems: list[str]) -> None:
    edges: dict[str, set[str]] = {name: set() for name in states}
    for t in transitions:
        for source in t.sources:
            if states[source].is_terminal:
                problems.append(f"terminal state {source!r} has an exit: transition {t.action!r}")
            if not t.returns_to_previous:
                edges[source].add(t.target)
    # A `<previous>` transition leads back to whichever state led into its source.
    for t in transitions:
        if t.returns_to_previous:
            for source in t.sources:
                for origin, targets in edges.items():
                    if source in targets and origin != source:
                        edges[source].add(origin)
    reachable, frontier = {initial}, [initial]
    while frontier:
        for target in edges[frontier.pop()]:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    problems.extend(f"state {name!r} cannot be reached from {initial!r}" for name in states if name not in reachable)
    problems.extend(f"state {name!r} is not terminal but has no exit" for name, state in states.items()
                    if not state.is_terminal and not edges[name])
