"""The Dell CRM casebook: the analysis the chapters teach with, and the book build.

Three sub-packages, one concern each (a test keeps the lines between them):

- ``casebook.analysis``  statistics the chapters call: CLV likelihoods, causal designs,
  segmentation, supply-chain metrics, intervals, the figure theme, the results-record
  contract and notebook-parameter checks. No Jupyter, papermill, nbconvert or HTML.
- ``casebook.book``      running the chapters (papermill), rendering pages and slides,
  the reproduction scorecard, the course editions and the command line. No statistics
  (no scipy/statsmodels).
- ``casebook.course``    the exercise tool the chapters' ``## Exercises`` blocks call: ``check``
  (✓/✗ with a hint against the student's own world), ``student_seed`` (student id -> world
  seed) and the answer key. Light: no scipy/statsmodels, no papermill/nbformat, no book side.

``casebook/claims.yml`` (read by :mod:`casebook.claims`) is the one source of the case's
numbers, shared by both sides.
"""

__version__ = "0.2.0"
