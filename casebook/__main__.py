"""``python -m casebook``: see :mod:`casebook.cli`."""

from .cli import main

raise SystemExit(main())
