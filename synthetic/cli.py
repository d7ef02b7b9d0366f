"""Command line: ``python -m synthetic`` generates a synthetic Dell world.

Every bad input is reported in one line naming the option and what is
allowed, with exit status 2, before any work and without creating a folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import ParameterError
from .executors import BlockFailed
from .scenario import LOCALES, PRESETS, describe_parameters, parse_value, read_override_file

EPILOG = """examples:
  python -m synthetic                                  # case preset, 20,000 customers, seed 7, into data/
  python -m synthetic -n 1000000 --workers 2           # lecture size
  python -m synthetic --preset history --set outsourcing.satisfaction_effect=0
  python -m synthetic --config what-if.yml --out /tmp/world
  python -m synthetic --list-keys                      # every scenario parameter, with the claim it plants

Worlds are cached: data/<preset>-n<customers>-s<seed>-<hash of all inputs>/ holds one
Parquet folder per table, world.duckdb (views) and manifest.json."""


#: generator arguments as this command's options, so an error names what the user typed
OPTION_NAMES = {
    "n_customers": "-n/--customers",
    "seed": "-s/--seed",
    "workers": "-w/--workers",
    "scenario": "--preset",
    "locale": "--locale",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2
        self.exit(2, f"synthetic: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    p = _Parser(
        prog="python -m synthetic",
        description="Generate the synthetic Dell world: customers, orders, support tickets, "
        "surveys, complaints, market panel and supply-chain records, as Parquet + DuckDB.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-p", "--preset", default="case", help=f"scenario preset: {', '.join(PRESETS)} (default: case)")
    p.add_argument(
        "-n", "--customers", type=int, default=20_000, help="number of customers, 100 to 5,000,000 (default: 20,000)"
    )
    p.add_argument("-s", "--seed", type=int, default=7, help="random seed, 0 to 2**32-1; fixes every byte (default: 7)")
    p.add_argument(
        "--locale", default=None, help=f"Faker locale for names and addresses: {', '.join(LOCALES)} (default: en_US)"
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one scenario parameter by dotted key, e.g. --set spend.top20_share=0.7 (repeatable)",
    )
    p.add_argument(
        "--config", help="YAML or JSON file of overrides (nested sections or dotted keys); --set wins over it"
    )
    p.add_argument(
        "--data-dir",
        default="data",
        help="cache folder; the world goes in a sub-folder named by its inputs (default: data)",
    )
    p.add_argument("--out", help="write the world to exactly this folder instead (replaced atomically if it exists)")
    p.add_argument(
        "-w",
        "--workers",
        type=int,
        default=1,
        help="worker processes, 1 to 64; output is identical for any number (default: 1)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="WHERE",
        help="where customer blocks run: 'processes' (local pool, the default), 'dask' (a local Dask cluster "
        "with --workers processes) or tcp://HOST:PORT (an existing Dask scheduler whose workers share this "
        "file system); the bytes are the same everywhere. With Dask, -n may go up to 200,000,000. "
        "Needs the dask extra: pip install -e '.[dask]'",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--force", action="store_true", help="regenerate even if the cache holds this world")
    p.add_argument(
        "--list-keys", action="store_true", help="print every scenario parameter (key, default, claim ids) and exit"
    )
    p.add_argument("--dictionary", metavar="PATH", help="write the data dictionary (Markdown) to PATH and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.list_keys:
        for row in describe_parameters():
            print(f"{row['key']:<45} {row['default']:<30} {row['description']}")
        return 0
    from . import store

    if args.dictionary:
        from .schema import data_dictionary

        target = Path(args.dictionary)
        try:
            if target.is_dir():
                raise ParameterError(
                    "--dictionary", f"{str(target)!r} is a folder; give a file path such as docs/data-dictionary.md"
                )
            store.check_writable(target.parent, "--dictionary")
            target.write_text(data_dictionary() + "\n", encoding="utf-8")
        except ParameterError as exc:
            print(f"synthetic: error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(
                f"synthetic: error: --dictionary: cannot write {str(target)!r} ({exc.strerror or exc})", file=sys.stderr
            )
            return 2
        print(f"wrote {args.dictionary}")
        return 0
    try:
        overrides = read_override_file(args.config) if args.config else {}
        for item in args.sets:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ParameterError("--set", f"expected KEY=VALUE, got {item!r}")
            overrides[key.strip()] = parse_value(value)
        from .executors import check_scheduler, is_distributed

        scheduler = check_scheduler(args.scheduler)
        sc = store.check_inputs(
            args.preset,
            args.seed,
            args.customers,
            overrides,
            args.workers,
            args.locale,
            distributed=is_distributed(scheduler),
        )
        if args.locale:
            overrides["world.locale"] = args.locale
        out = Path(args.out) if args.out else store.world_folder(args.data_dir, sc, args.seed, args.customers)
        store.check_writable(out.parent if not out.exists() else out, "--out" if args.out else "--data-dir")
        from .atomic import remove_stale

        remove_stale(out.parent)  # temporary folders of killed runs, even when the world is cached
        if not args.force and not args.out and (out / "manifest.json").exists():
            print(f"cached: {out}")
            return 0
        t0 = time.perf_counter()
        store.generate(
            out,
            args.preset,
            args.seed,
            args.customers,
            overrides,
            workers=args.workers,
            progress=not args.no_progress,
            keep_existing=not (args.force or args.out),
            out_name="--out" if args.out else "--data-dir",
            scheduler=scheduler,
        )
    except ParameterError as exc:
        name = OPTION_NAMES.get(exc.parameter)
        print(f"synthetic: error: {f'{name}: {exc.message}' if name else exc}", file=sys.stderr)
        return 2
    except BlockFailed as exc:
        print(f"synthetic: error: {exc} (no world written; an earlier one is intact)", file=sys.stderr)
        return 1
    w = store.World(out)
    rows = ", ".join(f"{k} {v:,}" for k, v in sorted(w.manifest["rows"].items()))
    print(f"wrote {out} in {time.perf_counter() - t0:.1f} s ({rows})")
    return 0
