"""Command line: ``python -m casebook build`` (the whole casebook) and ``python -m casebook execute`` (committed notebooks).

Exit status: 0 success; 1 a chapter (or the data generation) failed; 2 bad input,
reported as one line naming the option and what is allowed, before any work.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _profiles_help() -> str:
    try:
        from .build import load_profiles

        profiles = load_profiles()
    except Exception as exc:  # pragma: no cover - a broken packaged file
        return f"  (profiles.yml unreadable: {exc})"
    lines = []
    for name, body in profiles.items():
        params = ", ".join(f"{k}={v}" for k, v in body["parameters"].items()) or "notebook defaults"
        memory = f", kernels under {body['memory']:g} GB" if body.get("memory") else ""
        lines.append(f"  {name:<10} {body['description']} [{params}{memory}]")
    return "\n".join(lines)


BUILD_EPILOG = """\
profiles (casebook/book/profiles.yml):
{profiles}

parameters: the notebooks' own defaults < --profile < --config < --set.
  --set seed=3   --set n_customers=20000   --set scenario=history
  --set overrides.outsourcing.satisfaction_effect=0   (any synthetic scenario key)
  --config FILE: YAML with profiles in the format of casebook/book/profiles.yml, or one
  profile body (parameters:, timeout:, memory:, description:) laid over --profile.

output (under --out, default build/; open index.html):
  index.html              links to every page, deck and the scorecard; profile and seed
  pages/NN_name.html      student pages (code shown)
  slides/NN_name.slides.html  reveal.js decks (code hidden, one figure/table per slide)
  scorecard.html|csv|json claim, case's number, planted value, estimate [95 % CI], verdict
  figures/NN_name-figKK-<title>.png
  notebooks/NN_name.ipynb executed notebooks (timing metadata removed)
  results/NN_name.json    each chapter's results records
  pdf/NN_name.pdf, pdf/NN_name.slides.pdf   handouts printed with headless Chromium
                          (skipped with a message when Chromium is missing; --no-pdf)
  assets/                 vendored reveal.js, MathJax, CSS and JS (works offline)
  build.json              what was built, with which parameters, and what failed
  editions/student/NN_name.ipynb|html   exercises without solutions (checks kept)
  editions/lecturer/NN_name.ipynb|html  exercises with solutions
  answers.html            the answer key: every exercise's right answer in this world

students: --student ID builds that student's world (seed from the id) and edition
  under build/students/<id>; the same id always gives the same numbers.

data: generated once per build with synthetic.load into --data-dir (default: data/
  beside the notebooks folder, i.e. the repo's git-ignored data/); the chapters
  reuse that cache.

exit status: 0 ok; 1 a chapter or the data generation failed, or a chapter lists a
  claim in its opening but wrote no record for it (the others are
  still built; failing cells are listed); 2 bad input.

examples:
  python -m casebook build --profile ci
  python -m casebook build --profile lecture --set seed=3 --out build-lecture
  python -m casebook build --only 03 --set overrides.outsourcing.satisfaction_effect=0
  python -m casebook build --student "ana.silva@uni.example" --profile ci
"""


def make_parser() -> argparse.ArgumentParser:
    """The ``casebook`` argument parser (sub-commands ``build`` and ``execute``)."""
    parser = _Parser(
        prog="python -m casebook",
        description="Build the Dell CRM casebook: run the chapter notebooks "
        "and render student pages, lecture slides, figures and the reproduction scorecard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{build,execute,sweep}", parser_class=_Parser)

    b = sub.add_parser(
        "build",
        help="run every chapter and build pages, slides, figures and the scorecard",
        description="Run every chapter notebook in order with papermill and build the casebook site.",
        epilog=BUILD_EPILOG.format(profiles=_profiles_help()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument(
        "--profile",
        default="classroom",
        metavar="NAME",
        help="parameter profile: ci, classroom or lecture, or one from --config (default: classroom)",
    )
    b.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one parameter (repeatable), e.g. seed=3 or overrides.outsourcing.satisfaction_effect=0",
    )
    b.add_argument("--config", metavar="FILE", help="YAML file with extra or adjusted profiles")
    b.add_argument("--out", default="build", metavar="DIR", help="output folder (default: build)")
    b.add_argument(
        "--notebooks", default="notebooks", metavar="DIR", help="folder of NN_name.ipynb chapters (default: notebooks)"
    )
    b.add_argument(
        "--data-dir", metavar="DIR", help="data cache shared by the chapters (default: data/ beside --notebooks)"
    )
    b.add_argument("--only", nargs="+", metavar="NN", help="build only these chapters (numbers like 02, or names)")
    b.add_argument(
        "--lanes",
        default="auto",
        type=lambda v: v if v == "auto" else int(v) if v.isdigit() else v,
        metavar="N",
        help="chapters run at once, 1 to 8, or 'auto': one per core while memory allows (default: auto)",
    )
    b.add_argument(
        "--memory",
        type=float,
        default=None,
        metavar="GB",
        help="keep the chapters that run at once under this much memory together (their kernels' peaks: "
        "the site's last build at this size, else casebook/book/kernel_peaks.yml); a chapter that fits beside "
        "none runs alone; 0 = no limit (default: the profile's 'memory:', listed below)",
    )
    b.add_argument(
        "--student",
        metavar="ID",
        help="build one student's edition: the seed comes from the id (any text; default --out build/students/<id>)",
    )
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--no-pdf", action="store_true", help="skip the PDF handouts (pdf/; printed with headless Chromium)")

    e = sub.add_parser(
        "execute",
        help="re-run the committed notebooks in place with their own defaults",
        description="Re-run chapter notebooks top to bottom with their own parameter defaults and store "
        "clean outputs in the notebooks (for committing; checked by tests/test_notebook_guard.py). "
        "A notebook is replaced only when it ran without error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument(
        "--notebooks", default="notebooks", metavar="DIR", help="folder of NN_name.ipynb chapters (default: notebooks)"
    )
    e.add_argument("--only", nargs="+", metavar="NN", help="only these chapters (numbers like 02, or names)")
    e.add_argument(
        "--failed-dir", default="build/failed", metavar="DIR", help="where a failed run is kept (default: build/failed)"
    )
    e.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="per-cell time limit (default: none)")
    e.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_sweep_parser(sub)
    return parser


SWEEP_EPILOG = """\
per record (chapter, claim, quantity) across the seeds:
  mean estimate and its spread (sd), bias against the planted value, the bias over the
  typical 95 % half-width, coverage of the 95 % interval, how often each scorecard verdict
  came out, and "holds" (coverage in [0.85, 1] and |bias| under half the half-width).

output (under --out, default build/sweep):
  sweep.csv, sweep.json      the table (a later `casebook build` shows it beside each
                             scorecard row: it looks in <out>/sweep and <out>/../sweep)
  runs/seed-NNN/results/     each seed's results records (executed notebooks only for failures)

examples:
  python -m casebook sweep --seeds 20 --profile classroom
  python -m casebook sweep --seeds 10 --profile ci --only 03
"""


def _add_sweep_parser(sub) -> None:
    s = sub.add_parser(
        "sweep",
        help="run the chapters over many seeds; per record: mean, bias, coverage, verdict frequencies",
        description="Run chapter notebooks over seeds first-seed .. first-seed + seeds - 1 (each seed's world "
        "generated once) and summarise every results record across the seeds.",
        epilog=SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--seeds", type=int, default=20, metavar="N", help="number of seeds (default: 20)")
    s.add_argument("--first-seed", type=int, default=1, metavar="S", help="first seed (default: 1)")
    s.add_argument("--profile", default="classroom", metavar="NAME", help="parameter profile (default: classroom)")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="as for build")
    s.add_argument("--config", metavar="FILE", help="YAML file with extra or adjusted profiles")
    s.add_argument("--out", default="build/sweep", metavar="DIR", help="output folder (default: build/sweep)")
    s.add_argument("--notebooks", default="notebooks", metavar="DIR", help="folder of chapters (default: notebooks)")
    s.add_argument("--data-dir", metavar="DIR", help="data cache (default: data/ beside --notebooks)")
    s.add_argument("--only", nargs="+", metavar="NN", help="only these chapters (numbers like 03, or names)")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument(
        "--resummarise",
        action="store_true",
        help="run nothing: recompute the table from the runs stored under --out (e.g. after changing tolerances)",
    )


def _err(prog: str, message: str) -> None:
    print(f"{prog}: error: {message}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """``build``: plan (all checks), run, and print a summary with the failed chapters."""
    from .build import BuildError, UsageError, plan_build, run_build

    prog = "python -m casebook build"
    out = args.out
    if args.student is not None and out == "build":  # a student's edition gets its own folder by default
        from ..course.students import student_slug

        try:
            out = str(Path("build") / "students" / student_slug(args.student))
        except ValueError as exc:
            _err(prog, f"--student: {str(exc).removeprefix('student_id: ')}")
            return EXIT_USAGE
    try:
        plan = plan_build(
            profile=args.profile,
            sets=args.sets,
            config=args.config,
            out_dir=out,
            notebooks_dir=args.notebooks,
            only=args.only,
            data_dir=args.data_dir,
            lanes=args.lanes,
            memory_gb=args.memory,
            pdf=not args.no_pdf,
            student=args.student,
        )
    except UsageError as err:
        _err(prog, str(err))
        return EXIT_USAGE
    try:
        report = run_build(plan, progress=not args.quiet)
    except BuildError as err:
        _err(prog, str(err))
        return EXIT_FAILED
    ok = sum(c.status == "ok" for c in report.chapters)
    s = report.summary
    index = report.out_dir / "index.html"
    from .scorecard import summary_text

    print(
        f"casebook: {len(report.chapters)} chapter(s), {ok} ok, {len(report.failed)} failed "
        f"(profile {report.info['profile']}, seed {report.info['seed_text']}); scorecard: {summary_text(s)}"
    )
    print(f"open {_show(index)}")
    if report.missing_claims:
        print("\nchapter(s) that list claims in their opening but wrote no record for them:", file=sys.stderr)
        for name, ids in report.missing_claims.items():
            print(f"  {name}: {', '.join(ids)}", file=sys.stderr)
    if report.failed:
        print(f"\n{len(report.failed)} chapter(s) failed:", file=sys.stderr)
        for c in report.failed:
            print(f"  {c.name}: {c.error}", file=sys.stderr)
            if c.notebook:
                print(f"    executed notebook: {_show(report.out_dir / c.notebook)}", file=sys.stderr)
    return EXIT_FAILED if report.failed or report.missing_claims else EXIT_OK


def cmd_execute(args: argparse.Namespace) -> int:
    """``execute``: re-run the committed notebooks in place; list failures."""
    from .build import BuildError, UsageError, execute_in_place

    prog = "python -m casebook execute"
    try:
        failures = execute_in_place(
            args.notebooks, only=args.only, failed_dir=args.failed_dir, timeout=args.timeout, progress=not args.quiet
        )
    except UsageError as err:
        _err(prog, str(err))
        return EXIT_USAGE
    except BuildError as err:
        _err(prog, str(err))
        return EXIT_FAILED
    if failures:
        print(f"{len(failures)} notebook(s) failed (left unchanged):", file=sys.stderr)
        for ch, f in failures:
            print(f"  {ch.name}: {f.line()}", file=sys.stderr)
        return EXIT_FAILED
    print("notebooks executed in place")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep``: plan every seed (all checks), run, write the table and print it."""
    from .build import BuildError, UsageError
    from .sweep import format_table, plan_sweep, run_sweep

    prog = "python -m casebook sweep"
    if args.resummarise:
        from .sweep import resummarise

        if not (Path(args.out) / "runs").is_dir():
            _err(prog, f"--out: no stored runs under {args.out} (run a sweep first)")
            return EXIT_USAGE
        print(format_table(resummarise(args.out)))
        return EXIT_OK
    try:
        plan = plan_sweep(
            seeds=args.seeds,
            first_seed=args.first_seed,
            profile=args.profile,
            sets=args.sets,
            config=args.config,
            out_dir=args.out,
            notebooks_dir=args.notebooks,
            only=args.only,
            data_dir=args.data_dir,
        )
    except UsageError as err:
        _err(prog, str(err))
        return EXIT_USAGE
    try:
        report = run_sweep(plan, progress=not args.quiet)
    except BuildError as err:
        _err(prog, str(err))
        return EXIT_FAILED
    print(format_table(report.records))
    print(
        f"sweep: {report.info['n_seeds']} seeds ({report.info['seeds_text']}), profile {report.info['profile']}, "
        f"{report.info['seconds']:.0f} s; table: {_show(report.out_dir / 'sweep.csv')}"
    )
    if report.failures:
        print(f"\n{len(report.failures)} run(s) failed:", file=sys.stderr)
        for f in report.failures:
            print(f"  seed {f['seed']} {f['chapter']}: {f['error']}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m casebook`` and the ``casebook`` script; returns the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return {"build": cmd_build, "execute": cmd_execute, "sweep": cmd_sweep}[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
