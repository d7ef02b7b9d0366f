"""The built casebook renders in headless Chromium from disk, with no request leaving file://.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``); skipped when either is missing. Run alone with
``pytest -m browser``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FIXTURES = Path(__file__).parent / "fixtures"

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
    assert driver.execute_script("return Reveal.getTotalSlides();") == 6
    assert "slides" in driver.title
    fonts = driver.execute_script("return getComputedStyle(document.querySelector('.reveal')).fontSize;")
    assert float(fonts.rstrip("px")) >= 30  # the large-type override is applied
    sizes = _images_loaded(driver)
    assert sizes and all(w > 0 for w in sizes), sizes
    _assert_offline(driver, "slides/01_alpha.slides.html")
