"""Rendering an executed chapter: student page, lecture slides and figure files.

Everything produced here works offline from disk: nbconvert's stock templates
fetch require.js, MathJax, mermaid and reveal.js from CDNs, so the casebook uses
its own templates (``casebook/book/templates/casebook_lab`` and ``casebook_reveal``)
that drop those references and load the reveal.js and MathJax 3 copies vendored under
``casebook/book/assets/`` (copied to ``<out>/assets/`` by :func:`copy_assets`).

Slides (:func:`prepare_slides`): each Markdown heading opens a slide that holds its
section: the heading, one figure or table, and the generated reading's key sentences
(with their numbers); fixed prose and cells tagged ``notes`` are speaker notes (press S),
and whatever would take a slide past :data:`SLIDE_MAX_WORDS` words goes to the notes
or onto a "(continued)" slide. ``assets/slides-fit.js`` shrinks figures to the stage.

Cell tags understood (the chapters' contract):

- ``injected-parameters`` (added by papermill) and ``remove-cell``: cell dropped
  from pages and slides (and its figures are not exported);
- ``hide-input`` / ``remove-input``: code hidden on student pages (slides hide
  every code input);
- ``remove-output``: outputs dropped everywhere;
- ``notes``: the cell (a Markdown cell, or a code cell's outputs) goes to the slides'
  speaker notes only.
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
from html.parser import HTMLParser
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
    """A Markdown cell holding headings -> one cell per heading, with the text around it as separate cells.

    ``"reading of §1\n## 2 · Next\nquestion"`` -> ``[reading, "## 2 · Next", question]``: a
    section's reading stays on its own slide (in its notes) even when the author put it in the
    same cell as the next heading. On a slide the heading is shown in large type; the prose
    around it becomes speaker notes. Other cells are returned unchanged.
    """
    if cell.cell_type != "markdown" or not markdown_heading(cell.source):
        return [cell]
    parts: list[tuple[bool, list[str]]] = []  # (is heading, lines)
    fenced = False
    for line in cell.source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        is_head = not fenced and bool(_HEADING.match(line))
        if is_head and parts and parts[-1][0]:
            parts[-1][1].append(line)  # consecutive heading lines stay together
        elif is_head or not parts or parts[-1][0]:
            parts.append((is_head, [line]))
        else:
            parts[-1][1].append(line)
    chunks = [(h, "\n".join(lines).strip()) for h, lines in parts]
    chunks = [(h, text) for h, text in chunks if text]
    if len(chunks) == 1:
        return [cell]
    out = []
    for i, (is_head, text) in enumerate(chunks):
        new = nbformat.v4.new_markdown_cell(text)
        new.metadata = copy.deepcopy(dict(cell.metadata)) if is_head or i == 0 else {}
        if not is_head:
            new.metadata.pop("slideshow", None)
        out.append(new)
    return out


# --------------------------------------------------------------------------- slide budget
#: Most words a slide may show (speaker notes excluded); see :func:`slide_word_counts`.
SLIDE_MAX_WORDS = 120
#: Words the renderer packs on a slide: a margin below :data:`SLIDE_MAX_WORDS` for headings and labels.
PACK_WORDS = 105
#: Most words of a generated reading kept on the slide; the full reading goes to the notes.
READING_SLIDE_WORDS = 60
NOTES_TAG = "notes"
#: Longest printout (lines) kept on a slide beside a figure or table.
STREAM_LINES_WITH_FIGURE = 6

_WORD = re.compile(r"\S*[^\W\d_]\S*")  # a token with at least one letter: numbers are not words
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(*_$\"'])")
_ABBREVIATION = re.compile(r"(?:\be\.g|\bi\.e|\bvs|\bcf|\bet al|\bno|\bFig)\.$", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Whole sentences of ``text``: split after ``.``, ``!`` or ``?`` followed by a capital, digit or
    opening mark, never inside parentheses or after an abbreviation (``e.g.``, ``vs.``)."""
    parts, start = [], 0
    for m in _SENTENCE.finditer(text):
        head = text[start : m.start()]
        if head.count("(") > head.count(")") or _ABBREVIATION.search(head):
            continue
        parts.append(head.strip())
        start = m.end()
    parts.append(text[start:].strip())
    return [p for p in parts if p]


_TAG = re.compile(r"<[^>]+>")
_DISPLAY_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]", re.DOTALL)
_STYLE = re.compile(r"<(style|script)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


def count_words(text: str) -> int:
    """Words in ``text`` as a reader sees them: tokens holding a letter (``"28.2 %"`` is not a word)."""
    return len(_WORD.findall(text))


def _text(data: Any) -> str:
    return "".join(data) if isinstance(data, list) else str(data)


def _html_words(html: str) -> int:
    return count_words(_TAG.sub(" ", _STYLE.sub(" ", html)))


def _output_words(output: Mapping[str, Any]) -> int:
    """Words an output shows on a slide (figures: none)."""
    if output.get("output_type") == "stream":
        return count_words(_text(output.get("text", "")))
    data = output.get("data", {})
    if any(m in data for m in FIGURE_MIMES):
        return 0
    if "text/html" in data:
        return _html_words(_text(data["text/html"]))
    if "text/markdown" in data:
        return count_words(_text(data["text/markdown"]))
    if "text/latex" in data:
        return count_words(_text(data["text/latex"]))
    if "text/plain" in data:
        return count_words(_text(data["text/plain"]))
    return 0


def _is_figure_or_table(output: Mapping[str, Any]) -> bool:
    return _has_figure_or_table([output])


def key_sentences(text: str, limit: int = READING_SLIDE_WORDS) -> tuple[str, bool]:
    """The opening sentences of a reading that fit in ``limit`` words, preferring those with numbers.

    Returns ``(slide text, shortened?)``. The first sentence is always kept; later
    sentences are kept in order while they fit, and only if they carry a digit.
    A reading that already fits is returned whole.
    """
    text = text.strip()
    if count_words(text) <= limit:
        return text, False
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    sentences = split_sentences(paragraphs[0].strip())
    kept = [sentences[0]]
    used = count_words(sentences[0])
    rest = sentences[1:] + [s for p in paragraphs[1:] for s in split_sentences(p.strip())]
    for s in rest:
        n = count_words(s)
        if re.search(r"\d", s) and used + n <= limit:
            kept.append(s)
            used += n
    return " ".join(kept), True


def _notes_cell(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["slideshow"] = {"slide_type": "notes"}
    return cell


def _output_as_notes(output: Mapping[str, Any]) -> nbformat.NotebookNode | None:
    """A speaker-notes cell holding what ``output`` showed (text outputs only; None for others)."""
    if output.get("output_type") == "stream":
        return _notes_cell("```text\n" + _text(output.get("text", "")).rstrip() + "\n```")
    data = output.get("data", {})
    if "text/markdown" in data:
        return _notes_cell(_text(data["text/markdown"]))
    if "text/html" in data:
        return _notes_cell(_text(data["text/html"]))
    if "text/plain" in data:
        return _notes_cell("```text\n" + _text(data["text/plain"]).rstrip() + "\n```")
    return None


def _split_stream(output: Mapping[str, Any], first: int, rest: int) -> list:
    """A stream output cut at line ends into pieces of at most ``first``, then ``rest``, words."""
    pieces: list[list[str]] = [[]]
    budget, used = first, 0
    for line in _text(output.get("text", "")).splitlines(keepends=True):
        n = count_words(line)
        if pieces[-1] and used + n > budget:
            pieces.append([])
            budget, used = rest, 0
        pieces[-1].append(line)
        used += n
    return [nbformat.from_dict(dict(copy.deepcopy(output), text="".join(p))) for p in pieces if p]


def _continued(heading: str | None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(f"### {heading} (continued)" if heading else "### (continued)")
    cell.metadata["slideshow"] = {"slide_type": "slide"}
    return cell


def _opens_slide(cell) -> bool:
    """A Markdown cell starting with a heading (and not tagged ``notes``)."""
    if cell.cell_type != "markdown" or NOTES_TAG in _tags(cell):
        return False
    if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes":
        return False
    lines = cell.source.strip().splitlines()
    return bool(lines) and bool(_HEADING.match(lines[0]) or _HTML_HEADING.match(lines[0]))


def _sections_with_visuals(cells: list) -> dict[int, bool]:
    """Section number (count of slide-opening headings so far) -> whether it shows a figure or table."""
    found: dict[int, bool] = {}
    section = 0
    for cell in cells:
        if _opens_slide(cell):
            section += 1
        if cell.cell_type == "code" and _has_figure_or_table(_visible_outputs(cell)):
            found[section] = True
    return found


def _pack_slides(cells: list) -> list:
    """Assign slide types to filtered, heading-split cells, keeping every slide within its word budget.

    - a Markdown heading opens a slide; Markdown prose and cells tagged ``notes``
      (or with slide type ``notes``) are speaker notes, but a displayed formula
      (``$$...$$``) of untagged prose is also shown on the slide;
    - the first figure or table after a heading shares the heading's slide; a
      second one opens a "(continued)" slide, so a slide shows one figure or table;
    - a generated reading (Markdown output) longer than :data:`READING_SLIDE_WORDS`
      keeps its key sentences (see :func:`key_sentences`) on the slide and goes whole
      into the notes;
    - any other text output that would take the slide past :data:`PACK_WORDS`
      moves to the notes; printed text alone on a slide is spread over "(continued)" slides;
    - a printout of more than :data:`STREAM_LINES_WITH_FIGURE` lines in a section that
      shows a figure or table goes to the notes (the figure gets the room).
    """
    out: list = []
    heading: str | None = None
    words = 0  # words shown on the current slide
    has_visual = False  # the current slide already shows a figure or table
    visual_section = _sections_with_visuals(cells)
    section = 0
    for cell in cells:
        md = cell.metadata.setdefault("slideshow", {})
        own = md.get("slide_type")
        if _opens_slide(cell):
            section += 1
        if cell.cell_type == "markdown":
            if own == "notes" or NOTES_TAG in _tags(cell):
                md["slide_type"] = "notes"
            elif markdown_heading(cell.source) and _HEADING.match(cell.source.strip().splitlines()[0]):
                md["slide_type"] = "slide"
                heading = re.sub(r"[*_`]", "", markdown_heading(cell.source) or "")
                words, has_visual = count_words(cell.source), False
            else:
                md["slide_type"] = slide_type(cell)
                if md["slide_type"] == "slide":  # an HTML heading
                    words, has_visual = count_words(_TAG.sub(" ", cell.source)), False
                elif md["slide_type"] == "notes":
                    # displayed formulas of the prose stay on the slide; the prose is in the notes
                    formulas = _DISPLAY_MATH.findall(cell.source)
                    n = sum(count_words(f) for f in formulas)
                    if formulas and words + n <= PACK_WORDS:
                        shown_cell = nbformat.v4.new_markdown_cell("\n\n".join(f.strip() for f in formulas))
                        shown_cell.metadata["slideshow"] = {"slide_type": "-"}
                        out.append(shown_cell)
                        words += n
            out.append(cell)
            continue
        if cell.cell_type != "code":
            md["slide_type"] = "skip"
            out.append(cell)
            continue
        cell.outputs = _visible_outputs(cell)
        if own == "notes" or NOTES_TAG in _tags(cell):
            md["slide_type"] = "skip"
            out.append(cell)
            out.extend(n for n in map(_output_as_notes, cell.outputs) if n is not None)
            continue
        if not cell.outputs:
            md["slide_type"] = "skip"
            out.append(cell)
            continue
        md["slide_type"] = "-"
        out.append(cell)
        current = cell
        kept: list = []
        notes: list = []
        for o in cell.outputs:
            n = _output_words(o)
            data = o.get("data", {})
            if _is_figure_or_table(o):
                if has_visual or (kept and words + n > PACK_WORDS):
                    # close the current piece, continue on a new slide with the same heading
                    current.outputs = kept
                    out.extend(notes)
                    notes, kept = [], []
                    out.append(_continued(heading))
                    current = nbformat.v4.new_code_cell("")
                    current.metadata["slideshow"] = {"slide_type": "-"}
                    out.append(current)
                    words = count_words(heading or "") + 2
                kept.append(o)
                words += n
                has_visual = True
                continue
            if "text/markdown" in data and o.get("output_type") in ("display_data", "execute_result"):
                text = _text(data["text/markdown"])
                budget = max(0, min(READING_SLIDE_WORDS, PACK_WORDS - words))
                short, cut = key_sentences(text, budget)
                if cut or count_words(short) > budget:
                    notes.append(_notes_cell(text))
                    if count_words(short) > budget:
                        continue
                    o = copy.deepcopy(o)
                    o["data"] = nbformat.from_dict({"text/markdown": short, "text/plain": short})
                kept.append(o)
                words += count_words(short)
                continue
            if (
                o.get("output_type") == "stream"
                and visual_section.get(section)
                and _text(o.get("text", "")).count("\n") > STREAM_LINES_WITH_FIGURE
            ):
                notes.append(_output_as_notes(o))  # long printout beside a figure: the figure gets the room
                continue
            if words + n > PACK_WORDS and o.get("output_type") == "stream" and not has_visual:
                # printed text on a slide without a figure or table: spread over continuation slides
                chunks = _split_stream(o, PACK_WORDS - words, PACK_WORDS - count_words(heading or "") - 4)
                kept.append(chunks[0])
                for chunk in chunks[1:]:
                    current.outputs = kept
                    out.extend(notes)
                    notes, kept = [], [chunk]
                    out.append(_continued(heading))
                    current = nbformat.v4.new_code_cell("")
                    current.metadata["slideshow"] = {"slide_type": "-"}
                    out.append(current)
                words = PACK_WORDS  # nothing more on this slide
                continue
            if words + n > PACK_WORDS:
                note = _output_as_notes(o)
                if note is not None:
                    notes.append(note)
                continue
            kept.append(o)
            words += n
        current.outputs = kept
        if not cell.outputs:
            md["slide_type"] = "skip"
        out.extend(notes)
    return out


def prepare_slides(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A filtered copy of ``nb`` with reveal.js slide metadata set on every cell (see :func:`_pack_slides`)."""
    nb = filter_cells(nb)
    nb.cells = _pack_slides([part for cell in nb.cells for part in _split_heading(cell)])
    if all(c.metadata.slideshow["slide_type"] in ("skip", "notes") for c in nb.cells):
        # nbconvert refuses a deck with no visible cell; show a title slide instead.
        cell = nbformat.v4.new_markdown_cell("# (no visible content)")
        cell.metadata["slideshow"] = {"slide_type": "slide"}
        nb.cells.insert(0, cell)
    return nb


class _SlideText(HTMLParser):
    """Collects the visible text of each reveal.js slide (innermost ``<section>``), notes excluded."""

    _HIDDEN = frozenset({"aside", "script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.slides: list[list[str]] = []
        self._depth = 0
        self._hidden: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self._depth += 1
            if self._depth == 2:
                self.slides.append([])
        if tag in self._HIDDEN or (self._hidden and tag == self._hidden[-1]):
            self._hidden.append(tag)

    def handle_endtag(self, tag):
        if tag == "section":
            self._depth -= 1
        if self._hidden and tag == self._hidden[-1]:
            self._hidden.pop()

    def handle_data(self, data):
        if self._depth >= 2 and not self._hidden and self.slides:
            self.slides[-1].append(data)


def slide_word_counts(html: str) -> list[tuple[str, int]]:
    """``(first line, words)`` for every slide of an nbconvert reveal.js deck, speaker notes excluded.

    Words are counted with :func:`count_words` (tokens holding a letter).
    """
    parser = _SlideText()
    parser.feed(html)
    out = []
    for parts in parser.slides:
        text = " ".join(parts)
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        out.append((first.rstrip("¶")[:80], count_words(text.replace("¶", ""))))
    return out


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
    """Readable number: ``digits`` significant digits, thousands separators, ``-`` for missing.

    Millions and above are short, to 3 significant digits: ``34 M``, ``12.3 bn`` (a table cell stays narrow).
    """
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
    for scale, suffix in ((1e9, " bn"), (1e6, " M")):
        if abs(v) >= scale:
            return f"{v / scale:.3g}{suffix}"
    if abs(v) >= 10**digits:
        return f"{v:,.0f}"
    s = f"{v:.{digits}g}"
    if "e" in s:
        return f"{v:.{digits - 1}e}"
    return s
