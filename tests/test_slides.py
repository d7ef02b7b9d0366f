"""Lecture decks: one section per slide, the reading's key sentences on the slide, the rest in the notes.

The word budget (``render.SLIDE_MAX_WORDS`` words on a slide, speaker notes excluded) is checked on
decks rendered from the committed chapters (their stored outputs, fast) and, marked ``slow``, on
decks built from the committed chapters at ci size (5,000 customers, with figures).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from casebook.book import render

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _md(text: str, tags: list[str] | None = None):
    cell = nbformat.v4.new_markdown_cell(text)
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _code(*outputs, tags: list[str] | None = None):
    cell = nbformat.v4.new_code_cell("x", outputs=list(outputs))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _display(**data):
    return nbformat.v4.new_output("display_data", data=data)


def _stream(text: str):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _kinds(nb) -> list[tuple[str, str]]:
    out = render.prepare_slides(nb)
    return [(c.metadata.slideshow["slide_type"], c.source.splitlines()[0] if c.source else "") for c in out.cells]


PNG = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}


def test_count_words_ignores_numbers():
    assert render.count_words("retention 0.80, CI [0.78, 0.82] -> 28.2 % of revenue") == 4


def test_key_sentences_keep_the_first_and_those_with_numbers():
    text = (
        "Retention is 0.80 (95 % interval 0.78 to 0.82), below the case's 0.90. "
        + "This is a long explanation without any figure in it at all. " * 8
        + "The equity is 7.9 million."
    )
    short, cut = render.key_sentences(text, limit=40)
    assert cut
    assert short.startswith("Retention is 0.80") and short.endswith("The equity is 7.9 million.")
    assert "explanation" not in short
    assert render.key_sentences("Short: 3 words.", 40) == ("Short: 3 words.", False)


def test_reading_and_next_heading_in_one_cell_are_split():
    """Section 1's reading stays in section 1's notes, not on section 2's slide."""
    nb = nbformat.v4.new_notebook(
        cells=[
            _md("## 1 · First\n\nQuestion one."),
            _md("**Reading.** Section one's reading.\n\n## 2 · Second\n\n**Question.** Two?"),
        ]
    )
    assert _kinds(nb) == [
        ("slide", "## 1 · First"),
        ("notes", "Question one."),
        ("notes", "**Reading.** Section one's reading."),
        ("slide", "## 2 · Second"),
        ("notes", "**Question.** Two?"),
    ]


def test_notes_tag_and_formula_on_slide():
    nb = nbformat.v4.new_notebook(
        cells=[
            _md("## The arithmetic\n\nWith margin $m$ and retention $r$,\n\n$$V = \\sum_t m r^t$$\n\nis the value."),
            _md("A table on a slide", tags=["notes"]),
            _code(_display(**{"text/markdown": "V is 47,606.", "text/plain": "V"}), tags=["notes"]),
        ]
    )
    kinds = _kinds(nb)
    assert kinds[0] == ("slide", "## The arithmetic")
    assert ("-", "$$V = \\sum_t m r^t$$") in kinds  # the displayed formula stays on the slide
    assert ("notes", "A table on a slide") in kinds  # tagged notes
    assert ("notes", "V is 47,606.") in kinds  # a code cell tagged notes: its output is in the notes


def test_long_reading_keeps_key_sentences_on_slide_and_all_in_notes():
    reading = "Churn is 20.1 % a year (95 % interval 19.0 to 21.2). " + "Words without figures. " * 60
    nb = nbformat.v4.new_notebook(
        cells=[_md("## Churn"), _code(_display(**PNG)), _code(_display(**{"text/markdown": reading}))]
    )
    out = render.prepare_slides(nb)
    shown = out.cells[2].outputs[0]["data"]["text/markdown"]
    assert shown == "Churn is 20.1 % a year (95 % interval 19.0 to 21.2)."
    notes = [c for c in out.cells if c.metadata.slideshow["slide_type"] == "notes"]
    assert notes and notes[0].source == reading


def test_second_figure_opens_a_continued_slide():
    nb = nbformat.v4.new_notebook(cells=[_md("## Figures"), _code(_display(**PNG)), _code(_display(**PNG))])
    kinds = [k for k in _kinds(nb) if k[0] != "skip"]
    assert [k for k, _ in kinds] == ["slide", "-", "slide", "-"]
    assert kinds[2][1] == "### Figures (continued)"


def test_long_printout_is_spread_over_slides_or_moved_to_notes():
    lines = "".join(f"row {i} label words here {i}\n" for i in range(60))
    alone = render.prepare_slides(nbformat.v4.new_notebook(cells=[_md("## Printout"), _code(_stream(lines))]))
    assert sum(c.metadata.slideshow["slide_type"] == "slide" for c in alone.cells) > 1
    with_figure = render.prepare_slides(
        nbformat.v4.new_notebook(cells=[_md("## Printout"), _code(_stream(lines)), _code(_display(**PNG))])
    )
    assert [c.metadata.slideshow["slide_type"] for c in with_figure.cells].count("slide") == 1
    assert any(
        c.source.startswith("```text") for c in with_figure.cells if c.metadata.slideshow["slide_type"] == "notes"
    )


def test_slide_word_counts_exclude_notes():
    html = (
        '<div class="slides"><section><section><h2>Title here</h2><p>three more words</p>'
        '<aside class="notes"><p>many many many words in the notes</p></aside></section>'
        "<section><p>one</p></section></section></div>"
    )
    assert [w for _, w in render.slide_word_counts(html)] == [5, 1]


def _check_deck(html: str, name: str) -> None:
    counts = render.slide_word_counts(html)
    assert counts, f"{name}: no slides"
    over = [(i + 1, first, n) for i, (first, n) in enumerate(counts) if n > render.SLIDE_MAX_WORDS]
    assert not over, f"{name}: slides over {render.SLIDE_MAX_WORDS} words (slide, first line, words): {over}"


@pytest.fixture(scope="module")
def renderer():
    return render.Renderer(assets_href="../assets")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_committed_chapter_decks_keep_slides_short(renderer, path):
    """Decks from the committed chapters (stored text outputs): every slide within the word budget."""
    nb = nbformat.read(path, as_version=4)
    _check_deck(renderer.slides(nb, path.stem), path.stem)


@pytest.mark.slow
def test_ci_build_decks_keep_slides_short(tmp_path):
    """The committed chapters built at ci size (figures included): every slide within the word budget."""
    from casebook.book import cli

    out = ROOT / "build" / "ci"  # `make test` builds it just before the tests; otherwise build it here
    if not (out / "build.json").is_file() or len(list((out / "slides").glob("*.slides.html"))) != len(CHAPTERS):
        out = tmp_path / "out"
        rc = cli.main(
            ["build", "--profile", "ci", "--out", str(out), "--notebooks", str(ROOT / "notebooks")]
            + ["--quiet", "--no-pdf"]
        )
        assert rc == 0
    decks = sorted((out / "slides").glob("*.slides.html"))
    assert len(decks) == len(CHAPTERS)
    for deck in decks:
        _check_deck(deck.read_text(encoding="utf-8"), deck.name)


def test_pdf_step_skips_with_one_message_without_chromium(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from casebook.book import pdf

    monkeypatch.delenv("CASEBOOK_CHROMIUM", raising=False)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    said: list[str] = []
    chapter = SimpleNamespace(name="01_x", page="pages/01_x.html", slides="slides/01_x.slides.html")
    assert pdf.build_handouts(tmp_path, [chapter], log=said.append) == {}
    assert len(said) == 1 and "skipped" in said[0] and "Chromium" in said[0]
    assert not (tmp_path / "pdf").exists()
    assert pdf.build_handouts(tmp_path, [chapter], enabled=False, log=said.append) == {} and len(said) == 1


def test_page_count_reads_pdf_page_objects(tmp_path):
    from casebook.book.pdf import page_count

    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Pages /Count 2>>\n2 0 obj <</Type /Page>>\n3 0 obj <</Type/Page>>\n")
    assert page_count(f) == 2


def test_readings_split_into_whole_sentences_only():
    """A slide keeps whole sentences of a reading: no split at ';' or ':', inside parentheses or after 'e.g.'."""
    text = (
        "It divides all customers; here it exceeds 1 in 8 of 8 years. The formula takes them out (the gap to "
        '"both years": 19.2% of the customers. Pooled). Measured this way, e.g. Dell vs. HP, the rate is 0.808.'
    )
    assert render.split_sentences(text) == [
        "It divides all customers; here it exceeds 1 in 8 of 8 years.",
        'The formula takes them out (the gap to "both years": 19.2% of the customers. Pooled).',
        "Measured this way, e.g. Dell vs. HP, the rate is 0.808.",
    ]


def test_large_numbers_stay_short_in_tables():
    assert [render.format_number(x) for x in (12e9, 3e6, 33_988_967, 100_000, -6.329, None)] == [
        "12 bn",
        "3 M",
        "34 M",
        "100,000",
        "-6.329",
        "-",
    ]
