"""Letters as PDF: valid, archival, tagged, self-contained (only the shipped fonts), verifiable, and never a way
for case data to make the renderer fetch something.

The PDF checks use qpdf and poppler (`make test` installs them); each test needing one is skipped, saying which,
when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.urls import URLFetcherResponse

from sandbox import resource_paths
from sandbox.decisions import rendering
from sandbox.decisions.letter_data import KINDS, content_sha256, dump_letter_data
from sandbox.decisions.rendering import (
    DocumentAttachment,
    RefusedURL,
    RenderingError,
    StaticFetcher,
    harfbuzz_subsetter_loaded,
    html_to_pdf,
    letter_html,
    render_document,
    render_letter,
)
from tests.decisions.samples import dossier_data, letter_data

SHIPPED_FONTS = {"Source-Sans-3", "Source-Sans-3-Semi-Bold", "Source-Sans-3-Italic"}
INJECTIONS = ['<img src="file:///etc/passwd">', '<link href="http://127.0.0.1:9/">',
              "</style><style>@import url(http://127.0.0.1:9/x.css)</style>",
              "background: url(file:///etc/passwd)", '<a href="data:text/html,<b>x</b>">x</a>']


def needs(*tools: str) -> pytest.MarkDecorator:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    return pytest.mark.skipif(bool(missing), reason=f"{', '.join(missing)} not installed (make test installs "
                                                     "qpdf and poppler-utils)")


def run(*args: str | Path) -> str:
    return subprocess.run([str(arg) for arg in args], check=True, capture_output=True, text=True).stdout


def catalog_and_info(pdf: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document catalog and info dictionary, as qpdf reads them (no PDF library needed)."""
    objects = json.loads(run("qpdf", "--json=2", "--json-key=qpdf", pdf))["qpdf"][1]
    trailer = objects["trailer"]["value"]
    return objects["obj:" + trailer["/Root"]]["value"], objects["obj:" + trailer["/Info"]]["value"]


def text_of(pdf: Path) -> str:
    return run("pdftotext", "-enc", "UTF-8", pdf, "-")


def squeezed(text: str) -> str:
    """Text without whitespace, so a line break inside a long value does not hide it."""
    return "".join(text.split())


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, bool], Path]:
    """Every kind, as a draft and as issued, rendered once for the module."""
    folder = tmp_path_factory.mktemp("letters")
    files = {}
    for kind in KINDS:
        for issued in (False, True):
            path = folder / f"{kind}-{'issued' if issued else 'draft'}.pdf"
            path.write_bytes(render_letter(letter_data(kind, issued=issued)))
            files[kind, issued] = path
    return files


@needs("qpdf")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("issued", [False, True])
def test_render_letter_each_kind_passes_qpdf_check(pdfs: dict[tuple[str, bool], Path], kind: str, issued: bool):
    result = subprocess.run(["qpdf", "--check", str(pdfs[kind, issued])], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


@needs("pdffonts")
@pytest.mark.parametrize("kind", KINDS)
def test_render_letter_embeds_only_the_shipped_fonts(pdfs: dict[tuple[str, bool], Path], kind: str):
    rows = run("pdffonts", pdfs[kind, True]).splitlines()[2:]
    assert rows, "a letter with text has fonts"
    for row in rows:
        name, embedded = row.split()[0], row.split()[-5]
        assert embedded == "yes", row
        assert name.split("+", 1)[-1].rstrip(",") in SHIPPED_FONTS, row


def test_shipped_fonts_have_their_licence_beside_them():
    fonts = resource_paths().static / "fonts"
    assert sorted(path.name for path in fonts.glob("*.ttf")) == [
        "SourceSans3-It.ttf", "SourceSans3-Regular.ttf", "SourceSans3-Semibold.ttf"]
    assert "SIL Open Font License" in (fonts / "LICENSE-SourceSans3.txt").read_text()


@needs("qpdf")
@pytest.mark.parametrize("kind", KINDS)
def test_render_letter_is_tagged_with_title_and_language(pdfs: dict[tuple[str, bool], Path], kind: str):
    catalog, info = catalog_and_info(pdfs[kind, True])
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"] == {"/Marked": True}
    assert catalog["/Lang"] == "u:en"
    assert info["/Title"] == "u:" + letter_data(kind)["title"]


@needs("pdfinfo")
def test_render_letter_declares_pdf_a_3(pdfs: dict[tuple[str, bool], Path]):
    metadata = run("pdfinfo", "-meta", pdfs["admission", True])
    assert 'pdfaid:part="3"' in metadata and 'pdfaid:conformance="U"' in metadata


@needs("pdfdetach")
def test_render_letter_embeds_its_data_as_decision_json(pdfs: dict[tuple[str, bool], Path], tmp_path: Path):
    pdf = pdfs["rejection", True]
    assert "1: decision.json" in run("pdfdetach", "-list", pdf)
    run("pdfdetach", "-save", "1", "-o", tmp_path / "decision.json", pdf)
    embedded = json.loads((tmp_path / "decision.json").read_text())
    assert embedded == dump_letter_data(letter_data("rejection", issued=True))


@needs("pdftotext")
@pytest.mark.parametrize("kind", KINDS)
def test_render_letter_issued_prints_number_hash_and_verification_url(pdfs: dict[tuple[str, bool], Path],
                                                                       kind: str):
    data = letter_data(kind, issued=True)
    text = squeezed(text_of(pdfs[kind, True]))
    assert data["number"] in text
    assert content_sha256(data) in text
    assert data["verification"]["url"] in text
    assert "Page1of" in text
    assert "DRAFT" not in text


@needs("pdftotext")
@pytest.mark.parametrize("kind", KINDS)
def test_render_letter_draft_is_watermarked_and_unverifiable(pdfs: dict[tuple[str, bool], Path], kind: str):
    text = text_of(pdfs[kind, False])
    assert "DRAFT" in text
    assert "cannot be verified" in text
    assert "SBX/L/" not in text


@needs("pdftotext")
def test_render_letter_rejection_prints_reasons_and_challenge_deadline(pdfs: dict[tuple[str, bool], Path]):
    text = squeezed(text_of(pdfs["rejection", True]))
    for reason in letter_data("rejection")["decision"]["reasons"]:
        assert squeezed(reason) in text
    deadline = rendering.long_date(letter_data("rejection")["challenge"]["deadline_on"])
    assert squeezed(f"reach us by {deadline}") in text


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every URL the renderer's fetcher is asked for, from a fresh renderer (so fonts and CSS are fetched too)."""
    calls: list[str] = []
    original = StaticFetcher.fetch

    def spy(self: StaticFetcher, url: str, headers: Any = None) -> URLFetcherResponse:
        calls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticFetcher, "fetch", spy)
    monkeypatch.setattr(rendering, "_state", {})
    yield calls


def hostile_letter() -> dict[str, Any]:
    data = letter_data("rejection", issued=False, conditions=INJECTIONS)
    data["addressee"]["organisation"] = INJECTIONS[0]
    data["decision"]["reasons"] = INJECTIONS
    data["free_text"]["introduction"] = " ".join(INJECTIONS)
    return data


def test_letter_html_escapes_markup_in_case_data():
    html = letter_html(hostile_letter())
    assert "<img src=\"file:" not in html and "<link href" not in html and "<style>" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


@needs("pdftotext")
def test_render_letter_prints_hostile_text_literally_and_fetches_only_static_files(fetched: list[str],
                                                                                   tmp_path: Path):
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(render_letter(hostile_letter()))
    text = squeezed(text_of(pdf))
    for injection in INJECTIONS:
        assert squeezed(injection) in text
    assert fetched, "the fresh renderer fetched its stylesheet, fonts and logo"
    assert set(fetched) <= {"sandbox-static:/letters/letter.css", "sandbox-static:/letters/ua.css",
                            "sandbox-static:/img/regulator-logo.svg",
                            "sandbox-static:/fonts/SourceSans3-Regular.ttf",
                            "sandbox-static:/fonts/SourceSans3-It.ttf",
                            "sandbox-static:/fonts/SourceSans3-Semibold.ttf"}


@pytest.mark.parametrize("markup", ['<img src="file:///etc/passwd">', '<link rel="stylesheet" href="http://127.0.0.1:9/">',
                                    "<style>@import url(http://127.0.0.1:9/x.css);</style>",
                                    '<p style="background: url(file:///etc/passwd)">x</p>',
                                    '<img src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22/>">',
                                    '<img src="../../../etc/passwd">'])
def test_html_to_pdf_refuses_any_url_outside_static(fetched: list[str], markup: str):
    """Even a template of ours that asked for another URL would stop the render, not fetch it."""
    with pytest.raises(RenderingError, match="refuses"):
        html_to_pdf(f"<html lang='en'><title>t</title><body><p>x</p>{markup}</body></html>")


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "img").mkdir(parents=True)
    (static / "img" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "img" / "escape.svg").symlink_to(tmp_path / "secret.txt")
    return static


def test_static_fetcher_serves_a_static_file(static_dir: Path):
    response = StaticFetcher(static_dir).fetch("sandbox-static:/img/logo.svg")
    assert response.read().startswith(b"<svg") and response.content_type == "image/svg+xml"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://127.0.0.1:9/", "https://example.org/x.css", "data:text/css,p{}",
    "ftp://example.org/x", "img/logo.svg", "/img/logo.svg", "sandbox-static://host/img/logo.svg",
    "sandbox-static:/../../etc/passwd", "sandbox-static:/img/../../secret.txt", "sandbox-static:/%2e%2e/secret.txt",
    "sandbox-static:/img/%2E%2E/%2E%2E/secret.txt", "sandbox-static:/img/escape.svg", "sandbox-static:/img/",
    "sandbox-static:/img/missing.svg", "sandbox-static:/img/logo.svg?x=1", "sandbox-static:/img/logo.svg#x",
    "sandbox-static:/img\\..\\..\\secret.txt", "SANDBOX-STATIC:/img/logo.svg/..",
])
def test_static_fetcher_refuses_everything_else(static_dir: Path, url: str):
    with pytest.raises(RefusedURL):
        StaticFetcher(static_dir).fetch(url)


def test_harfbuzz_subsetter_loaded():
    assert harfbuzz_subsetter_loaded(), ("WeasyPrint cannot load libharfbuzz-subset.so.0: install "
                                        "libharfbuzz-subset0 (make system-deps); font subsetting falls back to "
                                        "fontTools, several times slower")


def test_render_letter_subsets_fonts_with_harfbuzz_not_fonttools(monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []

    def record(name: str) -> Callable[..., Any]:
        original = getattr(pdf_fonts.Font, name)

        def wrapper(self: pdf_fonts.Font, *args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return original(self, *args, **kwargs)
        return wrapper

    for name in ("_harfbuzz_subset", "_fonttools_subset"):
        monkeypatch.setattr(pdf_fonts.Font, name, record(name))
    render_letter(letter_data("waitlist"))
    assert calls and set(calls) == {"_harfbuzz_subset"}


@needs("qpdf", "pdftotext")
def test_render_document_dossier_uses_the_letters_layout(tmp_path: Path):
    data = dossier_data(checklist_items=6, audit_events=12, documents=2)
    attachment = DocumentAttachment(name="dossier.json", content=b"{}", description="data", relationship="Source")
    pdf = tmp_path / "dossier.pdf"
    pdf.write_bytes(render_document("dossier.html", data, title=data["title"], attachments=[attachment]))
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0
    text = text_of(pdf)
    assert "Case dossier SBX-2026-0042" in text and "Sandbox Regulatory Authority" in text
    assert "Audit trail" in text and "Page 1 of" in text


class Lazy:
    """Stands in for an ORM object: not plain data."""


@pytest.mark.parametrize("data", [{"regulator": Lazy()}, {"case": {"items": [Lazy()]}}, {1: "x"}])
def test_render_document_refuses_anything_but_plain_data(data: dict[Any, Any]):
    with pytest.raises(TypeError, match=r"plain data|not a string"):
        render_document("dossier.html", data, title="x")


@pytest.mark.parametrize("template", ["../base.html", "/etc/passwd", "_letter.html", "review/case.html", "x.txt"])
def test_render_document_refuses_other_templates(template: str):
    with pytest.raises(RenderingError, match="Not a document template"):
        render_document(template, dossier_data(), title="x")


@needs("pdffonts")
def test_html_to_pdf_never_falls_back_to_a_system_font(tmp_path: Path):
    """Characters the shipped fonts lack print as their missing-glyph box, not in some font of this machine."""
    pdf = tmp_path / "fallback.pdf"
    pdf.write_bytes(html_to_pdf("<html lang='en'><title>t</title><body><p>中文 ✓ Ж <em>ελληνικά</em> "
                                "<strong>日本語</strong></p></body></html>"))
    names = {row.split()[0].split("+", 1)[-1].rstrip(",") for row in run("pdffonts", pdf).splitlines()[2:]}
    assert names and names <= SHIPPED_FONTS


@needs("pdftotext")
def test_render_letter_correction_names_the_letter_it_supersedes(tmp_path: Path):
    data = letter_data("admission", issued=True, number="SBX/L/2026/000124",
                       supersedes={"number": "SBX/L/2026/000123", "issued_on": "2026-03-30"})
    pdf = tmp_path / "correction.pdf"
    pdf.write_bytes(render_letter(data))
    text = squeezed(text_of(pdf))
    assert squeezed("replaces our letter SBX/L/2026/000123 of 30 March 2026, which is withdrawn") in text
    assert "SBX/L/2026/000124" in text
