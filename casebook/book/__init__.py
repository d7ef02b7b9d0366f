"""The book build: running chapters, rendering pages and slides, the scorecard (no statistics).

Modules:

- ``build``      plans and runs a build: profiles, papermill execution, failure report
- ``render``     notebook -> offline HTML page and reveal.js deck (vendored assets in ``assets/``)
- ``scorecard``  claim vs reproduced estimate: verdicts, HTML/CSV/JSON
- ``cli``        ``python -m casebook`` (``build``, ``execute``)

Data: ``profiles.yml`` (build profiles), ``templates/`` (nbconvert and site templates),
``assets/`` (reveal.js, CSS).
"""
