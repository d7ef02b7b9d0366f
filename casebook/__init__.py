"""The Dell CRM casebook: reusable analysis pieces for the chapters and the book build.

Modules (one concern each):

- ``casebook.params``   validation of a notebook's ``parameters`` cell
- ``casebook.results``  the ``results_path`` record contract (claim vs estimate)
- ``casebook.theme``    the figure theme (projector-friendly matplotlib/seaborn)
- ``casebook.clv``      BG/NBD and Gamma-Gamma likelihoods, CLV helpers
- ``casebook.causal``   interrupted time series, difference-in-differences, placebo inference
- ``casebook.supply``   supply-chain metrics (days of supply, cash conversion cycle, bullwhip)
- ``casebook.build``    runs every notebook and renders pages, slides and the scorecard
"""

__version__ = "0.1.0"
