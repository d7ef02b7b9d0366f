"""Rendering an executed chapter: student page, lecture slides and figure files.

Everything produced here works offline from disk: nbconvert's stock templates
fetch require.js, MathJax, mermaid and reveal.js from CDNs, so the casebook uses
its own templates (``casebook/book/templates/casebook_lab`` and ``casebook_reveal``)
that drop those references and load the reveal.js copy vendored under
``casebook/book/assets/reveal.js`` (copied to ``<out>/assets/`` by :func:`copy_assets`).

Cell tags understood (the chapters' contract):

- ``injected-parameters`` (added by papermill) and ``remove-cell``: cell dropped
  from pages and slides (and its figures are not exported);
- ``hide-input`` / ``remove-input``: code hidden on student pages (slides hide
  every code input);
- ``remove-output``: outputs dropped everywhere.
"""

from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat

REMOVE_CELL_TAGS = frozenset({"injected-parameters", "remove-cell"})
REMOVE_INPUT_TAGS = frozenset({"hide-input", "remove-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})

FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
PAGE_TEMPLATE = "casebook_lab"
SLIDES_TEMPLATE = "casebook_reveal"
REVEAL_DIR = "reveal.js"


# --------------------------------------------------------------------------- files
def write_atomic(path: str | os.PathLike, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same folder, then rename.

    Readers never see a half-written file; the folder is created if missing.
    Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def package_dir(name: str) -> Path:
    """Folder ``name`` shipped inside the casebook package (``assets`` or ``templates``)."""
    return Path(str(resources.files("casebook.book").joinpath(name)))


def copy_assets(out_dir: str | os.PathLike) -> Path:
    """Copy the vendored assets (reveal.js, site and slide CSS) to ``<out>/assets``; return that folder."""
    dest = Path(out_dir) / "assets"
    shutil.copytree(
        package_dir("assets"), dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.md")
    )
    return dest


# --------------------------------------------------------------------------- cell filtering
def _tags(cell: Mapping[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def filter_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with nbconvert's ``TagRemovePreprocessor`` applied for the casebook tags.

    Drops ``injected-parameters`` and ``remove-cell`` cells, marks ``hide-input``
    and ``remove-input`` cells' code as hidden, and clears ``remove-output`` outputs.
    """
    from nbconvert.preprocessors import TagRemovePreprocessor

    pre = TagRemovePreprocessor(
        remove_cell_tags=set(REMOVE_CELL_TAGS),
        remove_input_tags=set(REMOVE_INPUT_TAGS),
        remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        enabled=True,
    )
    nb, _ = pre.preprocess(copy.deepcopy(nb), {})
    return nb


_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)


def markdown_heading(source: str) -> str | None:
    """Text of the first Markdown (``# ...``) or HTML heading in ``source``, or None."""
    m = _HEADING.search(source)
    if m:
        return m.group(2).strip()
    m = _HTML_HEADING.search(source)
    if m:
        return re.sub(r"<[^>]+>", "", m.group(1)).strip() or None
    return None


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    """The notebook's title: ``metadata.title``, else its first Markdown heading, else ``default``."""
    title = nb.metadata.get("title")
    if title:
        return str(title)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            h = markdown_heading(cell.source)
            if h:
                return re.sub(r"[*_`]", "", h)
    return default


def _visible_outputs(cell) -> list:
    """Outputs a reader of the slides sees (stderr streams are hidden there)."""
    return [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def _has_figure_or_table(outputs: Iterable[Mapping[str, Any]]) -> bool:
    for o in outputs:
        data = o.get("data", {})
        if any(m in data for m in FIGURE_MIMES):
            return True
        if "<table" in str(data.get("text/html", "")):
            return True
    return False


def slide_type(cell) -> str:
    """reveal.js slide type for one cell of a lecture deck (code inputs hidden).

    A new slide at each Markdown heading and at each code cell showing a figure
    or table; code cells with no visible output are skipped; everything else
    continues the current slide. Speaker ``notes`` set by the author are kept.
    """
    own = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    if own == "notes":
        return "notes"
    if cell.cell_type == "markdown":
        # headings open a slide; the reading prose goes to the speaker notes (press S)
        return "slide" if markdown_heading(cell.source) else "notes"
    if cell.cell_type == "code":
        outputs = _visible_outputs(cell)
        if not outputs:
            return "skip"
        return "slide" if _has_figure_or_table(outputs) else "-"
    return "skip"  # raw cells


def _split_heading(cell) -> list:
    """A Markdown cell that opens with a heading -> [heading cell, body cell]; other cells unchanged.

    On a slide the heading is shown in large type; the body becomes speaker notes.
    """
    if cell.cell_type != "markdown" or not markdown_heading(cell.source):
        return [cell]
    lines = cell.source.splitlines()
    head = [ln for ln in lines if ln.lstrip().startswith("#")]
    body = "\n".join(ln for ln in lines if not ln.lstrip().startswith("#")).strip()
    if not body:
        return [cell]
    first = nbformat.v4.new_markdown_cell("\n".join(head))
    first.metadata = dict(cell.metadata)
    rest = nbformat.v4.new_markdown_cell(body)
    return [first, rest]


def prepare_slides(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A filtered copy of ``nb`` with reveal.js slide metadata set on every cell (see :func:`slide_type`)."""
    nb = filter_cells(nb)
    nb.cells = [part for cell in nb.cells for part in _split_heading(cell)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _visible_outputs(cell)
        cell.metadata.setdefault("slideshow", {})["slide_type"] = slide_type(cell)
    if all(c.metadata.slideshow["slide_type"] in ("skip", "notes") for c in nb.cells):
        # nbconvert refuses a deck with no visible cell; show a title slide instead.
        cell = nbformat.v4.new_markdown_cell("# (no visible content)")
        cell.metadata["slideshow"] = {"slide_type": "slide"}
        nb.cells.insert(0, cell)
    return nb


# --------------------------------------------------------------------------- exporters
def _exporter(kind: str):
    from nbconvert import HTMLExporter, SlidesExporter

    extra = [str(package_dir("templates"))]
    if kind == "page":
        return HTMLExporter(
            template_name=PAGE_TEMPLATE, extra_template_basedirs=extra, exclude_input_prompt=False, embed_images=True
        )
    return SlidesExporter(
        template_name=SLIDES_TEMPLATE,
        extra_template_basedirs=extra,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        reveal_theme="white",
        reveal_transition="none",
        reveal_width="1280",
        reveal_height="720",
        reveal_number="c/t",
    )


@dataclass
class Renderer:
    """Holds the two nbconvert exporters so that a build reuses their Jinja environments."""

    assets_href: str = "../assets"

    def __post_init__(self) -> None:
        self._page = _exporter("page")
        self._slides = _exporter("slides")
        self._slides.reveal_url_prefix = f"{self.assets_href}/{REVEAL_DIR}"

    def page(self, nb: nbformat.NotebookNode, title: str, nav: Mapping[str, Any] | None = None) -> str:
        """Student page (code shown except ``hide-input`` cells) as an HTML string."""
        res = {"metadata": {"name": title}, "casebook": {"assets": self.assets_href, **(nav or {})}}
        body, _ = self._page.from_notebook_node(filter_cells(nb), resources=res)
        return body

    def slides(self, nb: nbformat.NotebookNode, title: str) -> str:
        """reveal.js deck (no code, one figure or table per slide) as an HTML string."""
        res = {"metadata": {"name": title}, "casebook": {"assets": self.assets_href}}
        body, _ = self._slides.from_notebook_node(prepare_slides(nb), resources=res)
        return body


# --------------------------------------------------------------------------- figures
def slugify(text: str, max_len: int = 48) -> str:
    """Lower-case ASCII slug of ``text`` (``"Retention by cohort, 2004"`` -> ``"retention-by-cohort-2004"``)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text).strip("-").lower()
    return text[:max_len].rstrip("-")


_TITLE_CALL = re.compile(r"""(?:suptitle|set_title|\btitle)\(\s*(?:[rRuU])?(["'])(?P<t>[^"'\n{}]+?)\1""")
_TITLE_KW = re.compile(r"""\btitle\s*=\s*(?:[rRuU])?(["'])(?P<t>[^"'\n{}]+?)\1""")


def figure_title(cell, heading: str | None) -> str | None:
    """Best title for a figure cell: metadata ``caption``/``title``/``name``, a literal plot title in the code, or the section heading."""
    md = cell.get("metadata", {})
    for key in ("caption", "title", "name"):
        if md.get(key):
            return str(md[key])
    for rx in (_TITLE_CALL, _TITLE_KW):
        m = rx.search(cell.get("source", ""))
        if m:
            return m.group("t")
    return heading


def extract_figures(nb: nbformat.NotebookNode, chapter: str, figures_dir: str | os.PathLike) -> list[Path]:
    """Write every PNG/JPEG/SVG figure of the (filtered) notebook to ``figures_dir``.

    Files are named ``<chapter>-figNN[-<slug of the figure title>].<ext>`` in
    notebook order; older figures of the same chapter are removed first.
    Returns the paths written.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    for old in figures_dir.glob(f"{chapter}-fig*"):
        old.unlink()
    written: list[Path] = []
    heading: str | None = None
    for cell in filter_cells(nb).cells:
        if cell.cell_type == "markdown":
            heading = markdown_heading(cell.source) or heading
            continue
        if cell.cell_type != "code":
            continue
        title = None
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            mime = next((m for m in FIGURE_MIMES if m in data), None)
            if mime is None:
                continue
            if title is None:
                title = figure_title(cell, heading)
            n = len(written) + 1
            slug = slugify(title) if title else ""
            ext = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}[mime]
            name = f"{chapter}-fig{n:02d}" + (f"-{slug}" if slug else "") + f".{ext}"
            payload = data[mime]
            if isinstance(payload, list):
                payload = "".join(payload)
            blob = payload.encode("utf-8") if mime == "image/svg+xml" else base64.b64decode(payload)
            written.append(write_atomic(figures_dir / name, blob))
    return written


# --------------------------------------------------------------------------- site pages
def site_environment():
    """Jinja environment for the casebook's own pages (``templates/site``), autoescaping HTML."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(package_dir("templates") / "site")),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = format_number
    return env


def render_site_page(template: str, path: str | os.PathLike, **context: Any) -> Path:
    """Render ``templates/site/<template>`` with ``context`` and write it atomically to ``path``."""
    html = site_environment().get_template(template).render(**context)
    return write_atomic(path, html)


def format_number(x: Any, digits: int = 4) -> str:
    """Readable number: ``digits`` significant digits, thousands separators, ``-`` for missing."""
    if x is None:
        return "-"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if v != v:  # NaN
        return "-"
    if v == 0:
        return "0"
    if abs(v) >= 10**digits:
        return f"{v:,.0f}"
    s = f"{v:.{digits}g}"
    if "e" in s:
        return f"{v:.{digits - 1}e}"
    return s
