"""The workflow as plain data for an SVG diagram: a layered layout, drawn top to bottom, with no randomness.

Layers are the shortest distance from the initial state; an end state sits one layer below the deepest state
leading into it. An arrow that skips layers bends through a point in each layer between, so it crosses no box.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable
from dataclasses import dataclass
from itertools import pairwise
from textwrap import wrap

from sandbox.workflow.definition import StateDef, TransitionDef, WorkflowDefinition

BOX_WIDTH, BOX_HEIGHT, LAYER_GAP, BOX_GAP, LANE_GAP, MARGIN, ARC, SWEEPS = 168, 48, 80, 40, 20, 28, 26, 12
Key = tuple[str, str, bool]  # an edge: source, target, and whether it is a `<previous>` return


@dataclass(frozen=True)
class Node:
    state: StateDef
    lines: tuple[str, ...]  # its label, wrapped to fit the box
    layer: int
    x: int  # left edge
    y: int  # top edge
    is_initial: bool


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    transitions: tuple[TransitionDef, ...]  # every action that moves a case from source to target
    returns_to_previous: bool
    path: str  # SVG path data, ending at the arrowhead


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    box_width: int
    box_height: int
    nodes: tuple[Node, ...]  # in reading order: layer by layer, left to right
    edges: tuple[Edge, ...]


def layout(definition: WorkflowDefinition) -> Diagram:
    merged, states = _merged_edges(definition), definition.states
    layer = _layers(definition, merged)
    chains: dict[Key, list[Hashable]] = {}  # each edge's boxes and bends, top to bottom or bottom to top
    for source, target, previous in merged:  # arrows of a kind into one state share their bends
        step = 1 if layer[target] > layer[source] else -1
        bends = [("~", target, previous, step, n) for n in range(layer[source] + step, layer[target], step)]
        layer.update({bend: bend[4] for bend in bends})
        chains[source, target, previous] = [source, *bends, target]
    rows: list[list[Hashable]] = [[] for _ in range(max(layer.values()) + 1)]
    mentioned = [s for t in definition.transitions for s in (*t.sources, t.target) if s in states]
    for item in dict.fromkeys([*mentioned, *states, *(bend for chain in chains.values() for bend in chain[1:-1])]):
        rows[layer[item]].append(item)
    near: dict[Hashable, dict[Hashable, bool]] = defaultdict(dict)  # neighbours, in a fixed order
    for a, b in (pair for chain in chains.values() for pair in pairwise(chain) if pair[0] != pair[1]):
        near[a][b] = near[b][a] = True
    half = {item: BOX_WIDTH // 2 * isinstance(item, str) for item in layer}
    x = {item: i * (BOX_WIDTH + BOX_GAP) for row in rows for i, item in enumerate(row)}
    for sweep in range(SWEEPS):  # order and place each layer by its neighbours: above on even sweeps, below on odd
        for n in range(len(rows)) if sweep % 2 == 0 else range(len(rows) - 1, -1, -1):
            seen = range(n - 1, n + 2) if sweep >= SWEEPS - 2 else (n, n + sweep % 2 * 2 - 1)
            wanted = sorted((sum(found) / len(found) if (found := [x[m] for m in near[item] if layer[m] in seen])
                             else x[item], i, item) for i, item in enumerate(rows[n]))  # where its neighbours are
            rows[n] = [item for _, _, item in wanted]
            gaps = [half[a] + half[b] + (BOX_GAP if half[a] and half[b] else LANE_GAP) for a, b in pairwise(rows[n])]
            x.update(zip(rows[n], _pack([want for want, _, _ in wanted], gaps), strict=True))
    x = {item: round(value + MARGIN - min(x[i] - half[i] for i in x)) for item, value in x.items()}
    top = [MARGIN + n * (BOX_HEIGHT + LAYER_GAP) for n in range(len(rows))]
    nodes = sorted((Node(s, tuple(wrap(s.label, 18, max_lines=2, placeholder="…")), layer[s.name],
                         x[s.name] - BOX_WIDTH // 2, top[layer[s.name]], s.name == definition.initial_state)
                    for s in states.values()), key=lambda n: (n.layer, n.x))
    paths = _paths(chains, layer, x, top)
    return Diagram(max(x[i] + half[i] for i in x) + MARGIN, top[-1] + BOX_HEIGHT + MARGIN, BOX_WIDTH, BOX_HEIGHT,
                   tuple(nodes), tuple(Edge(*key[:2], tuple(ts), key[2], paths[key]) for key, ts in merged.items()))


def _merged_edges(definition: WorkflowDefinition) -> dict[Key, list[TransitionDef]]:
    """One edge per source, target and kind; a `<previous>` return goes back to each state leading in."""
    merged: dict[Key, list[TransitionDef]] = {}
    into: dict[str, dict[str, bool]] = defaultdict(dict)
    for t in sorted(definition.transitions, key=lambda t: t.returns_to_previous):  # stable: forward ones first
        for source in t.sources:
            for target in into[source] if t.returns_to_previous else [t.target]:
                merged.setdefault((source, target, t.returns_to_previous), []).append(t)
                into[target].update({} if t.returns_to_previous or source == target else {source: True})
    return merged


def _layers(definition: WorkflowDefinition, merged: Collection[Key]) -> dict[Hashable, int]:
    forward = [(s, t) for s, t, previous in merged if not previous]
    depth, queue = {definition.initial_state: 0}, [definition.initial_state]
    for state in queue:  # breadth first: the queue grows as the loop walks along it
        for target in (t for s, t in forward if s == state and t not in depth):
            depth[target] = depth[state] + 1
            queue.append(target)
    deepest = max(depth.values())
    for name in (name for name, state in definition.states.items() if state.is_terminal):
        depth[name] = 1 + max((depth.get(s, deepest) for s, t in forward if t == name), default=deepest)
    return {name: depth.get(name, deepest + 1) for name in definition.states}


def _pack(wanted: list[float], gaps: list[float]) -> list[float]:
    """Near `wanted`, in order and `gaps` apart: the mean of pushing overlaps to the right and to the left."""
    right, left = wanted[:1], wanted[-1:]
    for want, gap in zip(wanted[1:], gaps, strict=True):
        right.append(max(want, right[-1] + gap))
    for want, gap in zip(wanted[-2::-1], gaps[::-1], strict=True):
        left.insert(0, min(want, left[0] - gap))
    return [(a + b) / 2 for a, b in zip(right, left, strict=True)]


def _paths(chains: dict[Key, list[Hashable]], layer: dict[Hashable, int], x: dict[Hashable, int],
           top: list[int]) -> dict[Key, str]:
    ends, sides = {}, defaultdict(set)  # arrows meeting one side of a box are spread along it, in order
    for key, chain in chains.items():
        for node, other, leaving in ((chain[0], chain[1], True), (chain[-1], chain[-2], False)):
            same = layer[other] == layer[node]  # an arc: below the boxes heading right, above heading left
            side = ((x[other] >= x[node]) == leaving if same else layer[other] > layer[node]) * 2 - 1
            ends[key, leaving] = (node, side, (x[other], layer[chain[-1]] > layer[chain[0]], key[2], str(other)))
            sides[node, side].add(ends[key, leaving][2])
    spread = {(node, side, end): round(x[node] + BOX_WIDTH * ((i + 1) / (len(found) + 1) - 0.5))
              for (node, side), found in sides.items() for i, end in enumerate(sorted(found))}
    paths = {}
    for key, chain in chains.items():
        (sx, sy, side), (tx, ty, _s) = ((spread[e], top[layer[e[0]]] + BOX_HEIGHT * (e[1] > 0), e[1])
                                        for e in (ends[key, True], ends[key, False]))
        r, y = x[chain[0]] + BOX_WIDTH // 2, top[layer[chain[0]]]
        if chain[0] == chain[-1]:  # a state leading to itself: a loop on the right of its box
            paths[key] = f"M {r} {y + 12} C {r + 36} {y + 12} {r + 36} {y + 36} {r} {y + 36}"
        elif layer[chain[0]] == layer[chain[-1]]:
            paths[key] = f"M {sx} {sy} C {sx} {sy + side * ARC} {tx} {ty + side * ARC} {tx} {ty}"
        else:  # a curve into each layer crossed, a straight line through it
            points = [(sx, sy), *((x[b], top[b[4]] + BOX_HEIGHT * (end > 0)) for b in chain[1:-1]
                                  for end in (-b[3], b[3])), (tx, ty)]
            paths[key] = f"M {sx} {sy} " + " ".join(
                f"C {a[0]} {(a[1] + b[1]) // 2} {b[0]} {(a[1] + b[1]) // 2} {b[0]} {b[1]}" if i % 2 == 0
                else f"L {b[0]} {b[1]}" for i, (a, b) in enumerate(pairwise(points)))
    return paths
