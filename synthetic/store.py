"""Generate a world to Parquet + DuckDB, cache it, and open it.

Layout of a world folder::

    <data_dir>/<preset>-n<customers>-s<seed>-<key>/
        manifest.json            inputs, calibration, row counts, generator version
        world.duckdb             views over the Parquet files (+ the order_components view)
        customers/part-00000.parquet ...   one part per customer block
        surveys/part-00000.parquet ...     world-level tables: one part

The folder is written under a temporary name beside it and swapped in at the
end (:mod:`synthetic.atomic`), so a killed run never leaves a half-written world,
an earlier one stays intact, and a reader of the old world is never left without
files. Temporary folders of killed runs are removed by the next run; worker
processes exit when the main process dies.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import atomic, calibrate
from .block import BLOCK_SIZE, PER_CUSTOMER_TABLES, block_seed, generate_block, to_arrow, write_part
from .errors import ParameterError
from .executors import check_scheduler, is_distributed, run_blocks
from .market import MARKET, SURVEYS, make_market_panel, make_surveys
from .names import make_pools
from .scenario import LOCALES, PRESETS, Scenario, build_scenario
from .schema import TABLES
from .supply import SUPPLY, make_supply, prepare_supply

GENERATOR_VERSION = "6"
MAX_CUSTOMERS = 5_000_000
MIN_CUSTOMERS = 100
# With a Dask cluster (``scheduler``/``client``) the blocks' memory is the workers'; what is left in
# the main process is one small aggregate per block (rows, daily component demand: ~50 KB) and the
# world-level tables (fixed size), so the bound is disk and the DuckDB views' scan time.
MAX_CUSTOMERS_DISTRIBUTED = 200_000_000
MAX_WORKERS = 64
WORLD_TABLES = (
    "surveys",
    "market_panel",
    "suppliers",
    "supplier_truth",
    "components",
    "cpu_launches",
    "purchase_orders",
    "inventory_daily",
    "shipments_daily",
    "build_queue_daily",
)


def check_inputs(
    scenario: str,
    seed: Any,
    n_customers: Any,
    overrides: Mapping | None,
    workers: Any = 1,
    locale: str | None = None,
    min_customers: int = MIN_CUSTOMERS,
    distributed: bool = False,
) -> Scenario:
    """Validate every input and return the scenario; raise :class:`ParameterError` before any work.

    ``min_customers`` is the smallest world the caller accepts (chapters need more
    than the generator); the error message states that range. ``distributed``: blocks
    run on a Dask cluster, so the customer cap is ``MAX_CUSTOMERS_DISTRIBUTED``.
    """
    cap = MAX_CUSTOMERS_DISTRIBUTED if distributed else MAX_CUSTOMERS
    more = "" if distributed else f" (up to {MAX_CUSTOMERS_DISTRIBUTED:,} with --scheduler dask)"
    if isinstance(n_customers, bool) or not isinstance(n_customers, (int, np.integer)):
        raise ParameterError(
            "n_customers", f"must be a whole number from {min_customers:,} to {cap:,} (got {n_customers!r})"
        )
    if not min_customers <= n_customers <= cap:
        raise ParameterError(
            "n_customers", f"must be from {min_customers:,} to {cap:,}{more} (got {int(n_customers):,})"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ParameterError("seed", f"must be a whole number from 0 to {2**32 - 1} (got {seed!r})")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or not 1 <= workers <= MAX_WORKERS:
        raise ParameterError("workers", f"must be a whole number from 1 to {MAX_WORKERS} (got {workers!r})")
    if not isinstance(scenario, str) or scenario not in PRESETS:
        raise ParameterError("scenario", f"unknown preset {scenario!r}; allowed: {', '.join(PRESETS)}")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ParameterError(
            "overrides",
            f"must be a mapping of dotted keys to values, e.g. {{'spend.top20_share': 0.7}} (got {type(overrides).__name__} {overrides!r:.40})",
        )
    ov = dict(overrides or {})
    if locale is not None:
        if locale not in LOCALES:
            raise ParameterError("locale", f"unknown locale {locale!r}; allowed: {', '.join(LOCALES)}")
        ov["world.locale"] = locale
    return build_scenario(scenario, ov)


def cache_key(sc: Scenario, seed: int, n_customers: int) -> str:
    """Hash of every input that shapes the bytes of a world."""
    text = json.dumps(
        {"v": GENERATOR_VERSION, "scenario": sc.to_dict(), "seed": int(seed), "n": int(n_customers)}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def world_folder(data_dir: str | os.PathLike, sc: Scenario, seed: int, n_customers: int) -> Path:
    """Folder that holds (or will hold) the world for these inputs."""
    return Path(data_dir) / f"{sc.preset}-n{n_customers}-s{seed}-{cache_key(sc, seed, n_customers)}"


def check_writable(folder: Path, name: str = "out") -> None:
    """Raise :class:`ParameterError` unless ``folder`` (or its nearest existing parent) accepts files.

    Probes with a real temporary file (removed at once): permission bits alone
    mislead for root and for special file systems.
    """
    import tempfile

    probe = Path(folder)
    while not probe.exists():
        probe = probe.parent
    try:
        if not probe.is_dir():
            raise OSError("not a folder")
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".write-probe-")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise ParameterError(name, f"folder {str(folder)!r} is not writable ({exc.strerror or exc})") from None


def generate(
    out: str | os.PathLike,
    scenario: str = "case",
    seed: int = 7,
    n_customers: int = 20_000,
    overrides: Mapping[str, Any] | None = None,
    workers: int = 1,
    locale: str | None = None,
    progress: bool = True,
    validate: bool = True,
    keep_existing: bool = False,
    out_name: str = "out",
    scheduler: str | None = None,
    client: Any = None,
) -> Path:
    """Generate a world into folder ``out`` (swapped in atomically if it exists); return its path.

    Every input is validated first; a bad one raises :class:`ParameterError`
    (naming ``out_name`` for the folder) and nothing is written. The world is
    written beside ``out`` and swapped in at the end; with ``keep_existing`` a
    world that another process finished at ``out`` meanwhile is kept (same inputs,
    same bytes) and this run's copy discarded. ``scheduler``/``client`` choose where
    the customer blocks run (see :mod:`synthetic.executors`); the bytes do not depend on it.
    """
    scheduler = check_scheduler(scheduler)
    sc = check_inputs(
        scenario, seed, n_customers, overrides, workers, locale, distributed=is_distributed(scheduler, client)
    )
    out = Path(out)
    check_writable(out.parent if not out.exists() else out, out_name)
    pools = _pools_beside(sc.world.locale, int(seed), workers)  # filled while this process calibrates
    try:
        cal = calibrate.solve(sc)  # may raise ParameterError for unreachable targets: still before writing
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic.remove_stale(out.parent)  # folders of killed runs
        tmp = atomic.temp_beside(out)
        with atomic.sigterm_as_exit():
            return _generate_into(
                tmp,
                out,
                sc,
                cal,
                pools,
                seed,
                n_customers,
                overrides,
                workers,
                progress,
                validate,
                keep_existing,
                scheduler,
                client,
            )
    finally:
        pools.close()


class _Background:
    """A function call running in a forked process (``workers`` > 1) or deferred to :meth:`result`."""

    def __init__(self, fn, args: tuple, fork: bool):
        self.fn, self.args, self.ex, self.future = fn, args, None, None
        if fork:
            self.ex = ProcessPoolExecutor(
                1, mp_context=get_context("fork"), initializer=die_with_parent, initargs=(os.getpid(),)
            )
            self.future = self.ex.submit(fn, *args)

    def result(self):
        """The call's value (waits for the process, then ends it)."""
        if self.future is None:
            return self.fn(*self.args)
        try:
            return self.future.result()
        finally:
            self.close()

    def close(self) -> None:
        """End the process (if any) without waiting for the call."""
        if self.ex is not None:
            self.ex.shutdown(wait=False, cancel_futures=True)
            self.ex = None


def _pools_beside(locale: str, seed: int, workers: int) -> _Background:
    """Start filling the name pools (Faker, a few tenths of a second; see :mod:`synthetic.names`).

    With more than one worker they are filled in a forked process while this one calibrates, so
    the customer blocks start sooner; with one worker, in this process when they are needed.
    """
    return _Background(make_pools, (locale, seed), fork=workers > 1)


def _generate_into(
    tmp: Path,
    out: Path,
    sc: Scenario,
    cal: calibrate.Calibration,
    pools_job: _Background,
    seed: int,
    n_customers: int,
    overrides: Mapping[str, Any] | None,
    workers: int,
    progress: bool,
    validate: bool,
    keep_existing: bool,
    scheduler: str | None = None,
    client: Any = None,
) -> Path:
    """Write the world into ``tmp`` and swap it in at ``out`` (``tmp`` removed on any failure)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    tmp.mkdir()
    try:
        pools = pools_job.result()
        n_blocks = -(-n_customers // BLOCK_SIZE)
        sizes = [min(BLOCK_SIZE, n_customers - b * BLOCK_SIZE) for b in range(n_blocks)]
        sc_json = sc.model_dump_json()
        root, cal_d = str(tmp), cal.to_dict()  # one object each: a Dask run sends shared inputs once
        args = [(root, sc_json, cal_d, int(seed), b, sizes[b], pools, validate) for b in range(n_blocks)]
        bar = _progress(progress, n_blocks + 2, "generating world")
        # the world tables that need no customer block run as one more task beside the blocks
        side = (own_world_tables, (root, sc_json, int(seed), pools.supplier, validate))
        results, early = run_blocks(
            generate_block,
            args,
            workers,
            scheduler,
            client,
            on_done=lambda r: bar.update(1),
            initializer=(die_with_parent, (os.getpid(),)),
            side=side,
        )
        timings["customer_blocks (wall)"] = time.perf_counter() - t0
        for k, v in early["seconds"].items():
            timings[f"  cpu: {k}"] = v
        for r in results:
            for k, v in r["seconds"].items():
                timings[f"  cpu: {k}"] = timings.get(f"  cpu: {k}", 0.0) + v
        demand = sum(r["demand"] for r in results)
        rows = {t: int(sum(r["rows"][t] for r in results)) for t in PER_CUSTOMER_TABLES}
        rows.update(early["rows"])
        t1 = time.perf_counter()
        supply = make_supply(early["supply_rng"], sc, demand, pools.supplier, early["supply_prepared"])
        arrow = {name: to_arrow(name, supply[name], sc.world.start) for name in WORLD_TABLES if name in supply}
        timings["world_tables"] = time.perf_counter() - t1
        if validate:  # in memory, before writing (the blocks were checked the same way in their workers)
            from .validate import check_tables

            t2 = time.perf_counter()
            check_tables(arrow)
            timings["validation"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        for name, tab in arrow.items():
            write_part(tmp, name, 0, tab)
            rows[name] = tab.num_rows
        bar.update(1)
        timings["world_tables write"] = time.perf_counter() - t3
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "preset": sc.preset,
            "seed": int(seed),
            "n_customers": int(n_customers),
            "overrides": {k: _jsonable(v) for k, v in dict(overrides or {}).items()},
            "scenario": sc.to_dict(),
            "calibration": cal.to_dict(),
            "rows": rows,
            "block_size": BLOCK_SIZE,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        t4 = time.perf_counter()
        _write_duckdb(tmp)
        timings["duckdb views"] = time.perf_counter() - t4
        bar.update(1)
        bar.close()
        replaced = atomic.swap_in(tmp, out, keep_existing=keep_existing)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)
    generate.last_timings = timings  # type: ignore[attr-defined]
    return out


OWN_WORLD_TABLES = ("surveys", "market_panel")  # world tables that need nothing from the customer blocks


def own_world_tables(root: str, sc_json: str, seed: int, supplier_names: np.ndarray, validate: bool = True) -> dict:
    """Make, check and write the world tables that need no customer block; prepare the supply chain.

    Runs as a task beside the customer blocks (:func:`synthetic.executors.run_blocks`). Returns the
    rows written, the supply chain's demand-free part (:func:`synthetic.supply.prepare_supply`) with
    the generator it advanced (``make_supply`` continues it), and CPU seconds per step.
    """
    clock = time.perf_counter
    sc = Scenario.model_validate_json(sc_json)
    tm: dict[str, float] = {}
    t0 = clock()
    supply_rng = block_seed(seed, SUPPLY, 0)
    prepared = prepare_supply(supply_rng, sc, supplier_names)
    tm["supply preparation"] = clock() - t0
    t0 = clock()
    tables = {
        "surveys": make_surveys(block_seed(seed, SURVEYS, 0), sc),
        "market_panel": make_market_panel(block_seed(seed, MARKET, 0), sc),
    }
    arrow = {name: to_arrow(name, tables[name], sc.world.start) for name in OWN_WORLD_TABLES}
    tm["surveys+market_panel"] = clock() - t0
    if validate:
        from .validate import check_tables

        t0 = clock()
        check_tables(arrow)
        tm["validate surveys+market_panel"] = clock() - t0
    t0 = clock()
    for name, tab in arrow.items():
        write_part(Path(root), name, 0, tab)
    tm["write surveys+market_panel"] = clock() - t0
    return {
        "rows": {name: tab.num_rows for name, tab in arrow.items()},
        "supply_rng": supply_rng,
        "supply_prepared": prepared,
        "seconds": tm,
    }


def _jsonable(v: Any) -> Any:
    return json.loads(json.dumps(v, default=str))


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(enabled: bool, total: int, desc: str):
    """A tqdm bar when ``enabled`` (imported only then: tqdm.auto warns in kernels without ipywidgets)."""
    if not enabled:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="block", leave=False)


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: exit when the main process dies (SIGKILL, SIGTERM or a crash).

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; then a check that the parent did
    not die before the request took effect. Elsewhere a daemon thread polls the
    parent's id.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            _poll_parent(parent_pid)
    else:
        _poll_parent(parent_pid)
    if os.getppid() != parent_pid:
        os._exit(1)


def _poll_parent(parent_pid: int) -> None:
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def validate_folder(folder: Path, workers: int = 1, blocks_checked: bool = False) -> None:
    """Schema and integrity checks on every table of a world folder (per block, then world-level).

    ``blocks_checked``: the blocks were validated in memory before they were written
    (:func:`synthetic.block.generate_block`), so only the world-level tables are read back.
    """
    import pyarrow.parquet as pq

    from .validate import check_tables

    parts = [] if blocks_checked else sorted((folder / "customers").glob("part-*.parquet"))
    for p in parts:
        check_tables({t: pq.read_table(folder / t / p.name) for t in PER_CUSTOMER_TABLES})
    check_tables({t: pq.read_table(folder / t) for t in WORLD_TABLES})


ORDER_COMPONENTS_SQL = """
CREATE VIEW order_components AS
WITH o AS (
  SELECT o.order_id, o.order_date, o.units, o.product_line, o.cpu_tier, o.cpu_generation, o.memory_mb, o.storage_gb, c.segment
  FROM orders o JOIN customers c USING (customer_id)
), b AS (
  SELECT order_id, order_date, 'chassis' AS category, product_line AS spec, units AS quantity FROM o
  UNION ALL SELECT order_id, order_date, 'cpu', cpu_tier || '-gen' || cpu_generation, units FROM o
  UNION ALL SELECT order_id, order_date, 'memory', CAST(memory_mb AS VARCHAR) || 'MB', units FROM o
  UNION ALL SELECT order_id, order_date, 'storage', CAST(storage_gb AS VARCHAR) || 'GB', units FROM o
  UNION ALL SELECT order_id, order_date, 'display', CASE WHEN product_line IN ('Inspiron', 'Latitude') THEN 'lcd-14' ELSE 'lcd-17' END, units FROM o
  UNION ALL SELECT order_id, order_date, 'standard_kit',
    CASE segment WHEN 'consumer' THEN 'home-kit' WHEN 'public_sector' THEN 'public-kit' ELSE 'business-kit' END, units FROM o
)
SELECT b.order_id, b.order_date, b.category, b.spec, k.component_id, CAST(b.quantity AS BIGINT) AS quantity
FROM b LEFT JOIN components k USING (category, spec)
"""


def _write_duckdb(folder: Path) -> None:
    """``world.duckdb``: views over the Parquet parts (relative paths) and the BOM view."""
    import duckdb

    con = duckdb.connect(str(folder / "world.duckdb"))
    try:
        con.execute(f"SET file_search_path = '{folder}'")
        for t in TABLES:
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{t}/part-*.parquet')")
        con.execute(ORDER_COMPONENTS_SQL)
    finally:
        con.close()


_LEAN = [False]


def return_freed_memory() -> None:
    """Make memory freed by deleted tables go back to the system (:meth:`World.table`, :meth:`World.sql` and :meth:`World.connect` call it).

    At a million customers a chapter reads order-level columns of 5.5 M rows. Arrow's own
    memory pool keeps what a converted table freed, and glibc keeps freed heap below its
    mmap threshold, so a kernel's resident memory only grows. Once per process this switches
    Arrow to the system allocator and (on Linux with glibc) gives every array of 16 MB or more
    its own pages, which return to the system when the array is deleted. Elsewhere only the
    Arrow setting applies. Measured in chapter 02 at 1,000,000 customers: 2.9 -> 1.45 GB peak
    with its other changes; a lower threshold (1 MB) saves a little more memory for 25 % more time.

    On every call (before and after each read) glibc's ``malloc_trim`` also hands back the free
    pages inside the heap that smaller freed objects (reader buffers, merge and groupby
    temporaries) leave behind: about 130 MB after chapter 03 reads its 2.4 M tickets at a
    million customers, and 1.31 -> 1.14 GB for chapter 02's peak; the call takes milliseconds.
    """
    import ctypes

    if not _LEAN[0]:
        _LEAN[0] = True
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
        try:
            _LIBC.append(ctypes.CDLL("libc.so.6"))
            _LIBC[0].mallopt(-3, 1 << 24)  # -3 = M_MMAP_THRESHOLD
        except (OSError, AttributeError):  # not glibc (macOS, Windows)
            pass
    if _LIBC:
        _LIBC[0].malloc_trim(0)


_LIBC: list = []


class World:
    """A generated world on disk: tables as pandas DataFrames, SQL through DuckDB.

    Attributes: ``path`` (folder), ``manifest`` (inputs, calibration, row counts),
    ``scenario`` (the :class:`Scenario`, whose values are the planted truth).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.manifest = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        self.scenario = Scenario.model_validate(self.manifest["scenario"])
        self._con = None

    @property
    def tables(self) -> list[str]:
        """Names of the stored tables (plus the ``order_components`` view via :meth:`sql`)."""
        return list(TABLES)

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """Read table ``name`` (optionally only ``columns``) into a DataFrame."""
        if name not in TABLES:
            raise ParameterError("table", f"unknown table {name!r}; allowed: {', '.join(TABLES)}")
        import pyarrow.parquet as pq

        return_freed_memory()
        # dates as datetime64 (pandas 3 would otherwise give Python date objects); one column per block and
        # the Arrow buffers released as they are converted: the same frame, at about half the peak memory
        frame = pq.read_table(self.path / name, columns=columns).to_pandas(
            date_as_object=False, split_blocks=True, self_destruct=True
        )
        return_freed_memory()  # the Parquet reader's buffers (measured: 130 MB for 2.4 M tickets at 1 M customers)
        return frame

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.table(name)

    def connect(self):
        """A read-only DuckDB connection to ``world.duckdb`` (paths resolved against the folder)."""
        import duckdb

        return_freed_memory()
        if self._con is None:
            self._con = duckdb.connect(str(self.path / "world.duckdb"), read_only=True)
            self._con.execute(f"SET file_search_path = '{self.path}'")
        return self._con

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run SQL against the world's views; return a DataFrame."""
        frame = self.connect().execute(query, params or []).df()
        return_freed_memory()
        return frame

    def planted(self, key: str) -> Any:
        """The scenario's value for a dotted key (the planted truth)."""
        return self.scenario.get(key)

    def __repr__(self) -> str:
        m = self.manifest
        return f"World({m['preset']}, n={m['n_customers']:,}, seed={m['seed']}, orders={m['rows']['orders']:,}, path={self.path})"


def load(
    scenario: str = "case",
    seed: int = 7,
    n_customers: int = 20_000,
    overrides: Mapping[str, Any] | None = None,
    data_dir: str | os.PathLike = "data",
    workers: int = 1,
    progress: bool = False,
    scheduler: str | None = None,
    client: Any = None,
) -> World:
    """The world for these inputs: generated once, then served from the cache under ``data_dir``.

    Raises :class:`ParameterError` naming the bad argument (``scenario``, ``seed``,
    ``n_customers``, ``overrides``, ``data_dir`` or ``workers``) before any work.
    ``scheduler`` (``"dask"``, ``"tcp://HOST:PORT"``) or ``client`` (a ``dask.distributed.Client``)
    run the customer blocks on a Dask cluster; the world's bytes are the same as on a laptop.
    """
    scheduler = check_scheduler(scheduler)
    sc = check_inputs(scenario, seed, n_customers, overrides, workers, distributed=is_distributed(scheduler, client))
    if not isinstance(data_dir, (str, os.PathLike)) or not str(data_dir):
        raise ParameterError("data_dir", f"must be a folder path (got {data_dir!r})")
    check_writable(Path(data_dir), "data_dir")
    atomic.remove_stale(Path(data_dir))  # temporary folders of killed runs, even when the world is cached
    folder = world_folder(data_dir, sc, seed, n_customers)
    if not (folder / "manifest.json").exists():
        generate(
            folder,
            scenario,
            seed,
            n_customers,
            overrides,
            workers=workers,
            progress=progress,
            keep_existing=True,
            out_name="data_dir",
            scheduler=scheduler,
            client=client,
        )
    return World(folder)


def open_world(path: str | os.PathLike) -> World:
    """Open a world folder written by :func:`generate`."""
    return World(path)
