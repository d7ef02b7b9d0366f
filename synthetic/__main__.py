"""``python -m synthetic``: see :mod:`synthetic.cli`."""

from .cli import main

raise SystemExit(main())
