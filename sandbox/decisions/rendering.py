"""Letters and dossiers to PDF: the project's own templates, plain data, its own static files and nothing else.

WeasyPrint is kept warm in the process: one Jinja environment, one font configuration holding only the fonts
shipped in `static/fonts/` (no system font can slip into a letter, so every machine prints the same one), the
print stylesheet parsed once, an image cache and an in-memory copy of each static file fetched. A render then
costs layout and PDF writing only. Renders are serialised per process by a lock: Pango's font map and the
shared caches are not meant for concurrent use, and a worker renders one document at a time anyway.

Every URL a document refers to goes through `StaticFetcher`, which serves files under `static/` addressed as
`sandbox-static:/<path>` and refuses everything else (file:, http:, data:, relative paths, traversal). Letter
data is escaped by the templates, so text such as `<img src="file:///etc/passwd">` is printed, never fetched.
"""

from __future__ import annotations

import itertools
import json
import logging
import mimetypes
import re
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import pydyf
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Attachment, Document
from weasyprint.css import ColorProfile
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.text import ffi as text_ffi
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from sandbox import resource_paths
from sandbox.decisions.letter_data import dump_letter_data
from sandbox.workflow.engine import REGULATOR_TIMEZONE

logger = logging.getLogger(__name__)

STATIC_SCHEME = "sandbox-static"
STATIC_BASE = f"{STATIC_SCHEME}:/"
STYLESHEET = "letters/letter.css"
UA_STYLESHEET = "letters/ua.css"
# PDF/A-3 (archival, allows the JSON attachment) with Unicode text; tagged on top for accessibility.
PDF_VARIANT = "pdf/a-3u"
# PDF/A's output intent: WeasyPrint's own sRGB profile, read once per process under our name. Asking for its
# stock "srgb" intent would re-read the file at every render and leave it open (a ResourceWarning each time).
OUTPUT_INTENT = "sandbox-srgb"
# pydyf deflates every PDF stream at level 9: for a letter that is a quarter of the PDF-writing time, for
# 2% fewer bytes than level 6 (measured: 27 ms against 8 ms per letter, 42 KB against 43 KB).
DEFLATE_LEVEL = 6
TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*\.html$")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
PLAIN_SCALARS = (str, int, float, bool, type(None))
# How an attached file relates to the document (PDF/A-3's /AFRelationship, ISO 32000-2 7.11.3).
AF_RELATIONSHIPS = ("Source", "Data", "Alternative", "Supplement", "Unspecified")


class RenderingError(RuntimeError):
    """A document could not be rendered (a template asked for something the renderer refuses)."""


class RefusedURL(ValueError):
    """A URL that is not one of the project's own static files."""


@dataclass(frozen=True)
class DocumentAttachment:
    """A file embedded in the PDF as a PDF/A-3 associated file (e.g. the decision's JSON)."""

    name: str
    content: bytes
    description: str
    relationship: str = "Supplement"

    def __post_init__(self) -> None:
        if self.relationship not in AF_RELATIONSHIPS:
            raise ValueError(f"An attachment's relationship is one of {', '.join(AF_RELATIONSHIPS)}.")


class StaticFetcher(URLFetcher):
    """Serve `sandbox-static:/<path>` from the static folder, from memory after the first read; refuse all else."""

    def __init__(self, static_dir: Path) -> None:
        # fail_on_errors: a refused URL stops the render rather than printing a document with a hole in it.
        super().__init__(fail_on_errors=True, allowed_protocols=(STATIC_SCHEME,))
        self.root = static_dir.resolve()
        self._files: dict[str, tuple[bytes, str]] = {}

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if url not in self._files:
            path = self.resolve(url)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self._files[url] = (path.read_bytes(), content_type)
        body, content_type = self._files[url]
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def resolve(self, url: str) -> Path:
        """The file a URL names, if it is an existing file inside the static folder; else RefusedURL."""
        parts = urlsplit(url)
        if parts.scheme != STATIC_SCHEME or parts.netloc or parts.query or parts.fragment:
            raise RefusedURL(f"Only {STATIC_BASE} URLs are served, not {url[:200]!r}.")
        relative = PurePosixPath(unquote(parts.path).lstrip("/"))
        if not relative.parts or ".." in relative.parts or "\\" in str(relative) or "\x00" in str(relative):
            raise RefusedURL(f"Not a path inside the static folder: {url[:200]!r}.")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedURL(f"No such static file: {url[:200]!r}.")
        return path


class _Deflate:
    """Stands in for the `zlib` module inside pydyf (and nowhere else): the same, but at DEFLATE_LEVEL."""

    def compressobj(self, level: int = DEFLATE_LEVEL, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(DEFLATE_LEVEL, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)


def use_faster_deflate() -> None:
    """pydyf hard-codes level 9 and offers no setting; its module's own `zlib` name is the one seam."""
    if not isinstance(pydyf.zlib, _Deflate):
        pydyf.zlib = _Deflate()  # type: ignore[attr-defined]  # pydyf's module global, see above


class LetterHTML(HTML):
    """A document of ours: laid out with the letters' own short user-agent stylesheet (static/letters/ua.css)."""

    ua_stylesheet: CSS | None = None

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        # WeasyPrint's hook for its HTML5 defaults; ours covers every element the templates use.
        return [self.ua_stylesheet] if self.ua_stylesheet is not None else super()._ua_stylesheets(forms)


class ShippedFontsOnly(FontConfiguration):
    """A font configuration that starts empty: only @font-face fonts (the shipped ones) exist in it."""

    def __init__(self) -> None:
        super().__init__()
        config = _fontconfig_create()
        text_ffi.pangoft2.pango_fc_font_map_set_config(
            text_ffi.ffi.cast("PangoFcFontMap *", self.font_map), config)
        text_ffi.fontconfig.FcConfigDestroy(config)  # the font map keeps its own reference
        self._config = config


def _fontconfig_create() -> Any:
    """FcConfigCreate(), which WeasyPrint does not declare: an empty configuration, no system font directories."""
    extra = type(text_ffi.ffi)()  # a cffi.FFI, from the cffi WeasyPrint itself depends on
    extra.include(text_ffi.ffi)  # share WeasyPrint's FcConfig type so the pointer passes to its functions
    extra.cdef("FcConfig * FcConfigCreate (void);")
    for name in ("libfontconfig.so.1", "fontconfig-1", "fontconfig", "libfontconfig-1.dll", "libfontconfig.1.dylib"):
        try:
            return extra.dlopen(name).FcConfigCreate()
        except OSError:
            continue
    raise RenderingError("The fontconfig library could not be loaded.")


def harfbuzz_subsetter_loaded() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz (hb-subset), not the much slower fontTools fallback.

    Checks what `weasyprint.pdf.fonts.Font.subset` itself checks (its module's `harfbuzz_subset` library and
    HarfBuzz >= 4.1), then creates and frees a subset input to prove the shared library really answers.
    """
    library = getattr(pdf_fonts, "harfbuzz_subset", None)
    if library is None or not hasattr(pdf_fonts.Font, "_harfbuzz_subset"):
        return False
    if not text_ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return False
    subset_input = library.hb_subset_input_create_or_fail()
    if subset_input == text_ffi.ffi.NULL:
        return False
    library.hb_subset_input_destroy(subset_input)
    return True


def long_date(value: str | date | None) -> str:
    """27 March 2026: the unambiguous form for letters (no locale lookup, so every process prints the same)."""
    if value is None or value == "":
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def when(value: str | None, *, short: bool = False) -> str:
    """An ISO date or datetime in the regulator's time zone: 27 March 2026, 14:05 (short: 2026-03-27 14:05)."""
    if not value:
        return ""
    if len(value) <= 10:
        return value if short else long_date(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(REGULATOR_TIMEZONE)
    return f"{moment:%Y-%m-%d %H:%M}" if short else f"{long_date(moment.date())}, {moment:%H:%M}"


def paragraphs(text: str | None, *, inline: bool = False) -> Markup:
    """Plain text to escaped <p> paragraphs: blank lines separate paragraphs, single newlines break lines.

    `inline`: one paragraph stays bare text (a list item needs no <p> box inside it: fewer boxes to lay out).
    """
    blocks = [Markup("<br>").join(escape(line) for line in block.strip().split("\n"))
              for block in re.split(r"\n\s*\n", text or "") if block.strip()]
    if inline and len(blocks) == 1:
        return blocks[0]
    return Markup("").join(Markup("<p>{}</p>").format(block) for block in blocks)


def thousands(value: int) -> str:
    return f"{value:,}"


def group_runs(rows: Iterable[Mapping[str, Any]], key: str) -> list[tuple[Any, list[Mapping[str, Any]]]]:
    """Consecutive rows sharing `key`, in their order (Jinja's groupby would sort them)."""
    return [(value, list(group)) for value, group in itertools.groupby(rows, key=lambda row: row.get(key))]


def pairs(rows: Iterable[Mapping[str, Any]], label: str, value: str) -> list[tuple[Any, Any]]:
    """(label, value) of each row, for the facts macro."""
    return [(row.get(label), row.get(value)) for row in rows]


def static_url(path: str) -> str:
    """The renderer's URL of a file under static/ ("img/logo.svg" -> "sandbox-static:/img/logo.svg")."""
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_./-]*", path) or ".." in path:
        raise RenderingError(f"Not a static file path: {path[:200]!r}.")
    return STATIC_BASE + path


def make_environment(templates_dir: Path) -> Environment:
    """Only templates/letters/, everything autoescaped, undefined names are errors (not blank text)."""
    env = Environment(loader=FileSystemLoader(str(templates_dir)), autoescape=True, undefined=StrictUndefined,
                      auto_reload=False)
    env.filters.update(long_date=long_date, when=when, paragraphs=paragraphs, thousands=thousands,
                       group_runs=group_runs, pairs=pairs, static_url=static_url)
    return env


@dataclass
class _Renderer:
    env: Environment
    fetcher: StaticFetcher
    fonts: FontConfiguration
    stylesheet: CSS
    ua_stylesheet: CSS
    color_profiles: dict[str, ColorProfile]
    image_cache: dict[str, Any]


def _srgb_profile() -> ColorProfile:
    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as profile:
        return ColorProfile(profile, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))


_lock = threading.RLock()
_state: dict[str, _Renderer] = {}


def _renderer() -> _Renderer:
    """The process's warm renderer, made at the first render (never at import: importing stays cheap)."""
    with _lock:
        if "renderer" not in _state:
            if not harfbuzz_subsetter_loaded():
                logger.error("HarfBuzz's subsetter (libharfbuzz-subset0) is not loaded: WeasyPrint falls back to "
                             "fontTools and every letter takes several times longer. Install libharfbuzz-subset0.")
            use_faster_deflate()
            paths = resource_paths()
            fetcher = StaticFetcher(paths.static)
            fonts = ShippedFontsOnly()
            stylesheet = CSS(url=STATIC_BASE + STYLESHEET, url_fetcher=fetcher, font_config=fonts)
            ua_stylesheet = CSS(url=STATIC_BASE + UA_STYLESHEET, url_fetcher=fetcher)
            _state["renderer"] = _Renderer(env=make_environment(paths.templates / "letters"), fetcher=fetcher,
                                           fonts=fonts, stylesheet=stylesheet, ua_stylesheet=ua_stylesheet,
                                           color_profiles={OUTPUT_INTENT: _srgb_profile()}, image_cache={})
        return _state["renderer"]


def letter_html(data: Mapping[str, Any]) -> str:
    """The letter as HTML (validated through LetterDataSchema first): what render_letter lays out."""
    return _letter_html(dump_letter_data(data))


def render_letter(data: Mapping[str, Any]) -> bytes:
    """A decision letter as PDF/A-3u, tagged, with its data embedded as decision.json.

    `data` must satisfy LetterDataSchema (see sandbox.decisions.letter_data); it is loaded and dumped again
    so only whitelisted plain values reach the template. Raises marshmallow.ValidationError if it does not.
    """
    letter = dump_letter_data(data)
    html = _letter_html(letter)
    decision_json = json.dumps(letter, sort_keys=True, ensure_ascii=False, indent=1).encode()
    attachment = DocumentAttachment(name="decision.json", content=decision_json, relationship="Source",
                                    description="The data this letter was rendered from (JSON).")
    return html_to_pdf(html, attachments=[attachment])


def render_document(template: str, data: Mapping[str, Any], *, title: str,
                    attachments: Sequence[DocumentAttachment] | None = None, is_draft: bool = False) -> bytes:
    """Any document under templates/letters/ (e.g. "dossier.html") with the letters' layout, fonts and fetcher.

    `data` must be plain JSON-like data (dicts, lists, strings, numbers, booleans, None; dates as ISO strings)
    with a `regulator` block like a letter's; anything else (an ORM object) raises TypeError.
    """
    html = document_html(template, data, title=title, is_draft=is_draft)
    return html_to_pdf(html, attachments=attachments or [])


def document_html(template: str, data: Mapping[str, Any], *, title: str, is_draft: bool = False) -> str:
    """The HTML render_document lays out (checked the same way)."""
    if not TEMPLATE_NAME.fullmatch(template):
        raise RenderingError(f"Not a document template: {template!r}.")
    _ensure_plain(data)
    return _html(template, data, title=title, is_draft=is_draft, language=str(data.get("language") or "en"))


def html_to_pdf(html: str, *, attachments: Sequence[DocumentAttachment] = ()) -> bytes:
    """Lay out HTML made by this module's templates and write the PDF (PDF/A-3u, tagged, with attachments)."""
    with _lock:
        renderer = _renderer()
        pdf_attachments = [Attachment(string=item.content, name=item.name, description=item.description,
                                      relationship=item.relationship, url_fetcher=renderer.fetcher)
                           for item in attachments]
        try:
            pdf = _document(html, renderer).write_pdf(
                stylesheets=[renderer.stylesheet], font_config=renderer.fonts, cache=renderer.image_cache,
                color_profiles=renderer.color_profiles, output_intent=OUTPUT_INTENT, pdf_variant=PDF_VARIANT,
                pdf_tags=True, attachments=pdf_attachments)
        except FatalURLFetchingError as error:
            raise RenderingError(f"A document asked for a resource the renderer refuses: {error}") from error
    assert pdf is not None  # write_pdf returns the bytes when given no target
    return pdf


def lay_out(html: str) -> Document:
    """Layout only, no PDF: the floor a full render is compared with (bench.letters)."""
    with _lock:
        renderer = _renderer()
        try:
            return _document(html, renderer).render(
                stylesheets=[renderer.stylesheet], font_config=renderer.fonts, cache=renderer.image_cache,
                color_profiles=renderer.color_profiles, output_intent=OUTPUT_INTENT)
        except FatalURLFetchingError as error:
            raise RenderingError(f"A document asked for a resource the renderer refuses: {error}") from error


def _document(html: str, renderer: _Renderer) -> LetterHTML:
    document = LetterHTML(string=html, base_url=STATIC_BASE, url_fetcher=renderer.fetcher)
    document.ua_stylesheet = renderer.ua_stylesheet
    return document


def _letter_html(letter: dict[str, Any]) -> str:
    return _html(f"{letter['kind']}.html", letter, title=letter["title"], is_draft=letter["is_draft"],
                 language=letter["language"], letter=letter)


def _html(template: str, data: Mapping[str, Any], **context: Any) -> str:
    with _lock:
        env = _renderer().env
    return env.get_template(template).render(data=data, **context)


def _ensure_plain(value: Any, where: str = "data") -> None:
    """Refuse anything but JSON-like values, so an ORM object (and its lazy loads) can never reach a template."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has a key that is not a string: {key!r}.")
            _ensure_plain(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _ensure_plain(item, f"{where}[{index}]")
    elif not isinstance(value, PLAIN_SCALARS):
        raise TypeError(f"{where} is a {type(value).__name__}; render documents from plain data only.")


__all__ = ["DocumentAttachment", "RefusedURL", "RenderingError", "StaticFetcher", "document_html",
           "harfbuzz_subsetter_loaded", "html_to_pdf", "lay_out", "letter_html", "render_document", "render_letter"]
