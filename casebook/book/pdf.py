"""PDF handouts: every chapter page and every slide deck printed to PDF with headless Chromium.

Called once at the end of ``python -m casebook build`` (skip with ``--no-pdf``). Chromium runs as
a subprocess, offline (every host name resolves to nothing, so no request can leave ``file://``),
with a fresh profile and a time limit per file. Decks are printed through their print stylesheet
(``assets/slides.css``: one 1280 x 720 page per slide, speaker notes left out); reveal.js's own
``?print-pdf`` view lays out asynchronously and prints blank pages from the command line. Where no Chromium is installed
the step is skipped with one message and the build goes on.

Output: ``<out>/pdf/NN_name.pdf`` (student page) and ``<out>/pdf/NN_name.slides.pdf`` (deck).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_DIR = "pdf"
TIMEOUT = 120.0  # seconds per PDF
#: Virtual time Chromium gives a page to finish loading, typesetting maths and laying out slides.
SETTLE_MS = 20_000

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pdf-header-footer",
    "--run-all-compositor-stages-before-draw",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing resolves: offline by construction
)


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable: ``$CASEBOOK_CHROMIUM`` if set, else the first on ``PATH``; or None."""
    env = os.environ.get("CASEBOOK_CHROMIUM")
    if env:
        return env if Path(env).is_file() else shutil.which(env)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_to_pdf(url: str, dest: str | os.PathLike, chromium: str, timeout: float = TIMEOUT) -> Path:
    """Print ``url`` (a ``file://`` address) to ``dest`` with headless ``chromium``; return ``dest``.

    The PDF is written next to ``dest`` under a temporary name and renamed when complete.
    Raises ``RuntimeError`` (with Chromium's last message) if no PDF was produced, and
    ``subprocess.TimeoutExpired`` after ``timeout`` seconds.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="casebook-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={SETTLE_MS}",
            f"--print-to-pdf={tmp}",
            url,
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if not tmp.is_file() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"chromium exited with status {proc.returncode} and wrote no PDF ({last[:200]})")
    os.replace(tmp, dest)
    return dest


_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def page_count(path: str | os.PathLike) -> int:
    """Number of pages of a PDF written by Chromium (counts its ``/Type /Page`` objects)."""
    return len(_PAGE.findall(Path(path).read_bytes()))


def build_handouts(
    out_dir: str | os.PathLike,
    chapters: Iterable[Any],
    enabled: bool = True,
    log: Callable[[str], None] = print,
    timeout: float = TIMEOUT,
) -> dict[str, dict[str, Any]]:
    """Print each chapter's page and deck under ``<out>/pdf``; return ``{chapter: {"page": ..., "slides": ...}}``.

    ``chapters`` are the build's chapter results (objects with ``name``, ``page`` and
    ``slides``: paths relative to ``out_dir``, or None). Each entry holds the PDF's
    path relative to ``out_dir`` and its page count (``page_pages``, ``slides_pages``).
    Returns ``{}`` when ``enabled`` is false or no Chromium is found (one message);
    a PDF that fails is reported and left out, never stopping the build.
    """
    if not enabled:
        return {}
    chromium = find_chromium()
    if chromium is None:
        log(
            "pdf: skipped, no Chromium found (install chromium, or set CASEBOOK_CHROMIUM); "
            "pages and slides are built as usual"
        )
        return {}
    out = Path(out_dir).absolute()
    made: dict[str, dict[str, Any]] = {}
    for ch in chapters:
        entry: dict[str, Any] = {}
        for kind, rel, suffix, query in (
            ("page", getattr(ch, "page", None), ".pdf", ""),
            ("slides", getattr(ch, "slides", None), ".slides.pdf", ""),
        ):
            if not rel:
                continue
            dest = out / PDF_DIR / f"{ch.name}{suffix}"
            try:
                print_to_pdf((out / rel).as_uri() + query, dest, chromium, timeout)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                log(f"pdf: {ch.name} {kind} failed: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            entry[kind] = dest.relative_to(out).as_posix()
            entry[f"{kind}_pages"] = page_count(dest)
        if entry:
            made[ch.name] = entry
    n = sum(("page" in e) + ("slides" in e) for e in made.values())
    log(f"pdf: {n} handout(s) in {out / PDF_DIR}")
    return made
