"""``python -m casebook``: see :mod:`casebook.cli`."""

from .book.cli import main

raise SystemExit(main())
