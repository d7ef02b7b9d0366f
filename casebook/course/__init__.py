"""Exercises checked against each student's own world: the course tool of the casebook.

Three small modules, one concern each:

- :mod:`casebook.course.check`    ``check(name, answer, expected, tol=..., rel=..., hint=...)``
  prints a clear ``✓`` or ``✗`` (with the hint) in the student's notebook;
- :mod:`casebook.course.students` ``student_seed(student_id)``: any student id -> a stable
  world seed, so each student gets their own numbers and a lecturer can rebuild them;
- :mod:`casebook.course.key`      the answer key: for each exercise, the value computed from a
  world (DuckDB SQL over the world's tables), so a check compares the student's answer with
  *their* world, never with a number typed into the notebook.

How an exercise is written (the tags the build reads; see ``casebook/book/editions.py``)::

    ## Exercises                      markdown, opens the block at the very end of a chapter
    prompt                            markdown, tag ``exercise``
    answer = ...  # your answer       code, tag ``student``   (kept in the student edition)
    answer = <the solution>           code, tag ``solution``  (removed from the student edition)
    check("01.2 ...", answer, expected=answer_key("01.2", ex_world), tol=..., hint=...)
                                      code, tag ``check``     (kept in both editions)

Why not nbgrader or otter-grader (both are on PyPI: nbgrader 0.9.6, otter-grader 7.0.0)?
Both generate student and grading copies of a notebook from tagged solutions, which is the
part we need, but both check answers against tests written with *fixed* expected values,
while here every student has their own seeded world and so their own right answers: the
expected value has to be computed from the student's world at check time. Both also bring
machinery the casebook does not use and cannot rely on offline: nbgrader a course folder, a
gradebook database (SQLAlchemy/alembic) and Jupyter server extensions for release/collect;
otter-grader its assignment format, OK-style test files and Docker-based grading. The
casebook is built offline with papermill and already drives pages and slides with cell tags,
so a tag convention, one ``check`` function and an answer key cover what the course needs.

This module must not import scipy, statsmodels, papermill or the book side (a test keeps
the boundary): checks run in a student's kernel and must stay light.
"""

from .check import CheckResult, check
from .key import answer_key
from .students import student_seed, student_slug

__all__ = ["check", "CheckResult", "student_seed", "student_slug", "answer_key"]
