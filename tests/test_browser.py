"""The built casebook renders in headless Chromium from disk, with no request leaving file://.

Also: maths typeset by the vendored MathJax on chapter 02's page and slides (rendered from the
committed notebook), the scorecard's chapter/verdict filters and sorting, and the PDF handouts.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``); skipped when either is missing. Run alone with
``pytest -m browser``.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FIXTURES = Path(__file__).parent / "fixtures"
CHAPTER02 = Path(__file__).resolve().parents[1] / "notebooks" / "02_clv.ipynb"

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install -e .[dev])")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The fixture notebooks built once per session (shared with tests/test_build.py)."""
    import synthetic
    from casebook.book import cli

    out = tmp_path_factory.getbasetemp() / "casebook-browser-build" / "out"  # its own build: test_build checks its own
    if not (out / "build.json").is_file():
        with pytest.MonkeyPatch.context() as mp:  # the fixture chapters use no generated data
            mp.setattr(synthetic, "load", lambda **kw: None, raising=False)
            rc = cli.main(
                [
                    "build",
                    "--notebooks",
                    str(FIXTURES / "notebooks"),
                    "--config",
                    str(FIXTURES / "casebook-test.yml"),
                    "--profile",
                    "fixture",
                    "--out",
                    str(out),
                    "--data-dir",
                    str(out.parent / "data"),
                    "--quiet",
                ]
            )
        assert rc == 0
    return out


@pytest.fixture(scope="module")
def chapter02(site) -> tuple[Path, Path]:
    """Chapter 02's page and deck, rendered from the committed notebook into the fixture site."""
    import nbformat

    from casebook.book import render

    nb = nbformat.read(CHAPTER02, as_version=4)
    renderer = render.Renderer(assets_href="../assets")
    page = render.write_atomic(site / "pages" / "02_clv.html", renderer.page(nb, "02", {"index": "../index.html"}))
    deck = render.write_atomic(site / "slides" / "02_clv.slides.html", renderer.slides(nb, "02"))
    return page, deck


@pytest.fixture(scope="module")
def driver():
    profile = tempfile.mkdtemp(prefix="casebook-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-quic",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,800",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(30)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(driver, path: Path) -> None:
    driver.get_log("performance")  # drop earlier entries
    driver.get_log("browser")
    driver.get(path.as_uri())
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _requests(driver) -> list[str]:
    """URLs of Network.requestWillBeSent events made by our pages (file:// documents).

    Chromium's own start-up pages (chrome://new-tab-page...) are left out; any
    http(s) request is kept, whoever made it.
    """
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            document = msg["params"].get("documentURL", "")
            if document.startswith("file://") or url.startswith(("file://", "http:", "https:", "ws:", "wss:")):
                urls.append(url)
    return urls


def _assert_offline(driver, page: str) -> None:
    urls = _requests(driver)
    assert urls, f"{page}: no requests were logged (performance log not working?)"
    remote = [u for u in urls if not u.startswith(("file://", "data:"))]
    assert not remote, f"{page} requested {remote}"
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"


def _images_loaded(driver) -> list[int]:
    return driver.execute_script("return Array.from(document.images).map(i => i.complete ? i.naturalWidth : -1);")


def test_index_renders_offline(driver, site):
    _open(driver, site / "index.html")
    assert driver.title == "Dell CRM Casebook"
    rows = driver.execute_script("return document.querySelectorAll('#chapters tbody tr').length;")
    assert rows == 2
    assert driver.execute_script("return document.getElementById('profile').textContent;") == "fixture"
    _assert_offline(driver, "index.html")


def test_scorecard_table_renders(driver, site):
    _open(driver, site / "scorecard.html")
    assert driver.title == "Reproduction scorecard"
    rows = "#scorecard tbody tr:not([data-verdict='no-record'])"  # claims without a record have rows too
    assert driver.execute_script(f'return document.querySelectorAll("{rows}").length;') == 3
    _assert_offline(driver, "scorecard.html")


def test_chapter_page_renders_with_figure(driver, site):
    _open(driver, site / "pages" / "01_alpha.html")
    assert driver.title == "Alpha: a fixture chapter"
    sizes = _images_loaded(driver)
    assert sizes and all(w > 0 for w in sizes), sizes
    _assert_offline(driver, "pages/01_alpha.html")


def test_slides_initialise_reveal_offline(driver, site):
    _open(driver, site / "slides" / "01_alpha.slides.html")
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return typeof Reveal !== 'undefined' && Reveal.isReady();")
    )
    assert driver.execute_script("return document.querySelector('.reveal .slides section') !== null;")
    assert driver.execute_script("return Reveal.getTotalSlides();") == 4
    assert "slides" in driver.title
    fonts = driver.execute_script("return getComputedStyle(document.querySelector('.reveal')).fontSize;")
    assert float(fonts.rstrip("px")) >= 30  # the large-type override is applied
    sizes = _images_loaded(driver)
    assert sizes and all(w > 0 for w in sizes), sizes
    _assert_offline(driver, "slides/01_alpha.slides.html")


def _wait_for_maths(driver) -> None:
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-mathjax') === 'done';")
    )


# visible text outside code, printouts and speaker notes
_PROSE_TEXT = """
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {acceptNode(n) {
  return n.parentElement.closest('pre, code, script, style, aside.notes, mjx-container')
    ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
let s = ''; while (walker.nextNode()) { s += walker.currentNode.nodeValue; } return s;
"""


def test_maths_typeset_on_chapter02_page(driver, chapter02):
    page, _ = chapter02
    _open(driver, page)
    _wait_for_maths(driver)
    n = driver.execute_script("return document.querySelectorAll('mjx-container').length;")
    assert n >= 20, f"only {n} formulas typeset"
    assert driver.execute_script("return document.querySelectorAll('mjx-container[display=\"true\"]').length;") >= 2
    prose = driver.execute_script(_PROSE_TEXT)
    assert "$$" not in prose and "\\frac" not in prose and "\\sum" not in prose
    errors = driver.execute_script("return document.querySelectorAll('mjx-merror').length;")
    assert errors == 0
    _assert_offline(driver, "pages/02_clv.html")


def test_maths_typeset_on_chapter02_slides(driver, chapter02):
    _, deck = chapter02
    _open(driver, deck)
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return typeof Reveal !== 'undefined' && Reveal.isReady();")
    )
    _wait_for_maths(driver)
    on_slides = driver.execute_script(
        "return Array.from(document.querySelectorAll('.reveal .slides mjx-container'))"
        ".filter(m => !m.closest('aside.notes')).length;"
    )
    assert on_slides >= 2, on_slides
    assert "$$" not in driver.execute_script(_PROSE_TEXT)
    _assert_offline(driver, "slides/02_clv.slides.html")


def test_scorecard_filters_and_sorts(driver, site):
    from selenium.webdriver.support.ui import Select

    _open(driver, site / "scorecard.html")
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-scorecard') === 'ready';")
    )
    visible = (
        "return Array.from(document.querySelectorAll('table.scorecard tbody tr')).filter(r => !r.hidden)"
        ".map(r => [r.dataset.chapter, r.dataset.verdict]);"
    )
    every = driver.execute_script(visible)  # two records of 01_alpha, one of 02_beta, claims without a record
    assert [r for r in every if r[1] != "no-record"] == [
        ["01_alpha", "reproduced"],
        ["01_alpha", "reproduced"],
        ["02_beta", "reported"],
    ]
    Select(driver.find_element("id", "scorecard-chapter")).select_by_value("01_alpha")
    rows = driver.execute_script(visible)
    assert rows == [r for r in every if r[0] == "01_alpha"] and len(rows) < len(every)
    Select(driver.find_element("id", "scorecard-verdict")).select_by_value("reported")
    assert driver.execute_script(visible) == []
    Select(driver.find_element("id", "scorecard-chapter")).select_by_value("")
    assert driver.execute_script(visible) == [["02_beta", "reported"]]
    Select(driver.find_element("id", "scorecard-verdict")).select_by_value("")
    claim = "return Array.from(document.querySelectorAll('table.scorecard tbody tr')).map(r => r.dataset.claim);"
    heading = driver.find_element("css selector", "table.scorecard thead th:nth-child(2)")
    heading.click()
    first = driver.execute_script(claim)
    heading.click()
    again = driver.execute_script(claim)

    def natural(c):  # "A2" before "A10", as the page sorts
        return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", c)]

    up = sorted(first, key=natural)
    assert first in (up, up[::-1]) and again == sorted(again, key=natural, reverse=first == up) and again != first
    assert driver.execute_script("return document.documentElement.scrollWidth;") <= 1280
    _assert_offline(driver, "scorecard.html")


def test_pdf_handouts_linked_from_index(site):
    from casebook.book.pdf import page_count

    index = (site / "index.html").read_text()
    for name in ("01_alpha", "02_beta"):
        for suffix in (".pdf", ".slides.pdf"):
            rel = f"pdf/{name}{suffix}"
            assert f'href="{rel}"' in index, rel
            assert (site / rel).read_bytes().startswith(b"%PDF"), rel
            assert page_count(site / rel) >= 1
    assert page_count(site / "pdf" / "01_alpha.slides.pdf") == 4  # one page per slide
