"""Analysis methods the chapters call (no Jupyter, papermill, nbconvert or HTML here).

Modules:

- ``params``        validation of a notebook's ``parameters`` cell (delegates to ``synthetic``)
- ``results``       the ``results_path`` record contract: claim, estimate, interval, planted, claimed
- ``theme``         the figure theme (projector-friendly matplotlib/seaborn) and source lines
- ``_mle``          shared likelihood machinery: optimiser, Hessian, history compression
- ``clv``           BG/NBD and Gamma-Gamma likelihoods, P(alive), CLV helpers
- ``retention``     MBG/NBD, churn what-ifs, cohort retention
- ``segmentation``  latent-class tiers, concentration, migration
- ``causal``        interrupted time series, difference-in-differences, event study, placebos
- ``supply``        supply-chain metrics: days of supply, cash conversion cycle, bullwhip

Import sub-modules directly (``from casebook.analysis import clv``); this package's
``__init__`` imports nothing heavy so the book side can read ``results`` cheaply.
"""
