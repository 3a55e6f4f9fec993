"""How fast a warm process renders decision letters and a case dossier, and whether its memory stays flat.

Run it from the repository's top, as a module:

    .venv/bin/python -m bench.letters                 # 50 timed letters, 200 for memory, 3 dossiers (about 1 minute)
    .venv/bin/python -m bench.letters --renders 20 --memory-renders 60 --dossiers 1

The letter is a realistic admission: 12 conditions, every section of DESIGN.md §6, and a 30-row checklist annex
(two pages of letter and one of annex), issued, so it carries its number, hash and verification line. After
warm-up renders (the first one loads the fonts and parses the stylesheet, as a worker's first letter would),
each round renders it in full (validation, template, layout, PDF/A-3 with tags and the JSON attachment) and then
lays out the same HTML without writing a PDF (WeasyPrint's `render()`, the floor): the two alternate so a busy
machine slows both alike, and `ratio_to_layout` is the full render's median over the layout's median.

The same letter without its annex (two pages) is timed too, to show what the annex's table costs.

Memory: resident set size after the warm-up and after every 50 of `--memory-renders` further letters
(`rss_growth_mb` is the last minus the first), and the process's peak. The dossier is a case with 40 checklist
items, 200 audit events, documents, decisions and letters, rendered through `render_document` (seconds, median).
The sample data is built here (tests/decisions/samples.py); no database is used.

Targets on the 2-core development machine: p50 <= 150 ms, p95 <= 250 ms, ratio <= 2.0, memory flat (growth
<= 10 MB) after 200 renders, dossier <= 2 s. The last line printed is one JSON object:
{"p50_ms", "p95_ms", "ratio_to_layout", "rss_growth_mb", "dossier_s"}.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sandbox.decisions.letter_data import content_sha256
from sandbox.decisions.rendering import (
    document_html,
    harfbuzz_subsetter_loaded,
    lay_out,
    letter_html,
    render_document,
    render_letter,
)
from tests.decisions.samples import dossier_data, letter_data

TARGETS = {"p50_ms": 150.0, "p95_ms": 250.0, "ratio_to_layout": 2.0, "rss_growth_mb": 10.0, "dossier_s": 2.0}


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the value at or below which `fraction` of the measurements fall."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def rss_mb() -> float:
    """The resident set size now (Linux /proc), after a collection so garbage does not count."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(action: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU milliseconds of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def measure_letter(data: dict[str, Any], renders: int) -> dict[str, Any]:
    html = letter_html(data)
    for _ in range(3):
        render_letter(data)
        lay_out(html)
    full_wall, full_cpu, layout_wall, layout_cpu = [], [], [], []
    pdf_bytes = 0
    for _ in range(renders):
        wall, cpu, pdf = timed(lambda: render_letter(data))
        full_wall.append(wall)
        full_cpu.append(cpu)
        pdf_bytes = len(pdf)
        wall, cpu, document = timed(lambda: lay_out(html))
        layout_wall.append(wall)
        layout_cpu.append(cpu)
    return {"p50_ms": statistics.median(full_wall), "p95_ms": percentile(full_wall, 0.95),
            "cpu_p50_ms": statistics.median(full_cpu), "layout_p50_ms": statistics.median(layout_wall),
            "layout_cpu_p50_ms": statistics.median(layout_cpu),
            "ratio_to_layout": statistics.median(full_wall) / statistics.median(layout_wall),
            "pages": len(document.pages), "pdf_kb": pdf_bytes / 1024}


def measure_short_letter(data: dict[str, Any], renders: int) -> dict[str, Any]:
    """The same letter without its annex (two pages): how much of the time the annex's table takes."""
    short = {**data, "checklist_annex": []}
    short["verification"] = {**data["verification"], "content_sha256": content_sha256(short)}
    render_letter(short)
    walls = [timed(lambda: render_letter(short))[0] for _ in range(renders)]
    return {"no_annex_p50_ms": statistics.median(walls)}


def measure_memory(data: dict[str, Any], renders: int) -> dict[str, Any]:
    checkpoints = [rss_mb()]
    for count in range(1, renders + 1):
        render_letter(data)
        if count % 50 == 0 or count == renders:
            checkpoints.append(rss_mb())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rss_checkpoints_mb": checkpoints, "rss_growth_mb": checkpoints[-1] - checkpoints[0],
            "peak_mb": peak_mb}


def measure_dossier(runs: int) -> dict[str, Any]:
    data = dossier_data(checklist_items=40, audit_events=200)
    render_document("dossier.html", data, title=data["title"])  # warm: the dossier's own template and glyphs
    seconds = [timed(lambda: render_document("dossier.html", data, title=data["title"]))[0] / 1000
               for _ in range(runs)]
    pages = len(lay_out(document_html("dossier.html", data, title=data["title"])).pages)
    return {"dossier_s": statistics.median(seconds), "dossier_pages": pages}


def report(figures: dict[str, Any]) -> None:
    def row(label: str, value: str, key: str | None = None) -> None:
        verdict = ""
        if key is not None:
            verdict = "met" if figures[key] <= TARGETS[key] else "MISSED"
            verdict = f"target <= {TARGETS[key]:g}: {verdict}"
        print(f"  {label:<34}{value:>14}   {verdict}")

    print(f"Admission letter: {figures['pages']} pages, {figures['pdf_kb']:.0f} KB, "
          f"{figures['renders']} timed renders (HarfBuzz subsetter: {'yes' if figures['harfbuzz'] else 'NO'})")
    row("full render p50 (ms)", f"{figures['p50_ms']:.0f}", "p50_ms")
    row("full render p95 (ms)", f"{figures['p95_ms']:.0f}", "p95_ms")
    row("full render p50, CPU (ms)", f"{figures['cpu_p50_ms']:.0f}")
    row("layout only p50 (ms)", f"{figures['layout_p50_ms']:.0f}")
    row("layout only p50, CPU (ms)", f"{figures['layout_cpu_p50_ms']:.0f}")
    row("full / layout", f"{figures['ratio_to_layout']:.2f}", "ratio_to_layout")
    row("same letter, no annex (2 pages) p50", f"{figures['no_annex_p50_ms']:.0f}")
    row("RSS at 0, 50, ... renders (MB)", " ".join(f"{mb:.0f}" for mb in figures["rss_checkpoints_mb"]))
    row(f"RSS growth over {figures['memory_renders']} renders (MB)", f"{figures['rss_growth_mb']:.1f}",
        "rss_growth_mb")
    row("peak RSS (MB)", f"{figures['peak_mb']:.0f}")
    row(f"dossier, {figures['dossier_pages']} pages (s)", f"{figures['dossier_s']:.2f}", "dossier_s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=50, help="timed renders of the letter (default 50)")
    parser.add_argument("--memory-renders", type=int, default=200, help="renders watched for memory (default 200)")
    parser.add_argument("--dossiers", type=int, default=3, help="timed dossier renders (default 3)")
    args = parser.parse_args(argv)
    data = letter_data("admission", issued=True)
    figures: dict[str, Any] = {"renders": args.renders, "memory_renders": args.memory_renders,
                               "harfbuzz": harfbuzz_subsetter_loaded()}
    figures.update(measure_letter(data, args.renders))
    figures.update(measure_short_letter(data, max(10, args.renders // 2)))
    figures.update(measure_memory(data, args.memory_renders))
    figures.update(measure_dossier(args.dossiers))
    report(figures)
    print(json.dumps({key: round(figures[key], 3) for key in TARGETS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
