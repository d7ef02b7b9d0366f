"""Strip volatile metadata from executed notebooks (papermill timing, nbclient timestamps).

Used before committing chapter outputs and by the book build, so that a re-run
with the same seed gives the same file apart from genuinely changed outputs.

Command line: ``python -m casebook.nbclean notebooks/*.ipynb``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

VOLATILE_NB = ("papermill",)
VOLATILE_CELL = ("papermill", "execution")


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove papermill/nbclient timing metadata in place; returns ``nb``."""
    for k in VOLATILE_NB:
        nb.metadata.pop(k, None)
    for cell in nb.cells:
        for k in VOLATILE_CELL:
            cell.metadata.pop(k, None)
    return nb


def clean_file(path: str | Path) -> None:
    """Clean one ``.ipynb`` file in place (atomic write)."""
    path = Path(path)
    nb = clean(nbformat.read(path, as_version=4))
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Clean every notebook path given on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m casebook.nbclean NOTEBOOK.ipynb [...]\nStrip papermill/nbclient timing metadata in place.")
        return 0 if args else 2
    for a in args:
        clean_file(a)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
