"""The Dell CRM casebook: the analysis the chapters teach with, and the book build.

Two sub-packages, one concern each (a test keeps the line between them):

- ``casebook.analysis``  statistics the chapters call: CLV likelihoods, causal designs,
  segmentation, supply-chain metrics, intervals, the figure theme, the results-record
  contract and notebook-parameter checks. No Jupyter, papermill, nbconvert or HTML.
- ``casebook.book``      running the chapters (papermill), rendering pages and slides,
  the reproduction scorecard and the command line. No statistics (no scipy/statsmodels).

``casebook/claims.yml`` (read by :mod:`casebook.claims`) is the one source of the case's
numbers, shared by both sides.
"""

__version__ = "0.2.0"
