"""Where the world's customer blocks run: in this process, a local process pool, or a Dask cluster.

Every block is seeded from ``SeedSequence(seed, spawn_key=(table, block))`` and writes its own
Parquet parts, so *where* a block runs cannot change a byte of the world. This module only
decides the engine:

- ``scheduler=None`` / ``"processes"``: a local ``ProcessPoolExecutor`` (``workers`` processes;
  ``workers=1`` runs in this process).
- ``scheduler="dask"``: a ``dask.distributed.LocalCluster`` with ``workers`` single-threaded
  worker processes, started for this run and closed after it.
- ``scheduler="tcp://HOST:PORT"``: an existing Dask scheduler. Its workers must see the same
  file system path as this process (blocks write their Parquet parts into the world's
  temporary folder directly; only small per-block aggregates travel back).
- ``client=``: a ``dask.distributed.Client`` you already hold (from Python).

Dask's distributed scheduler reschedules the tasks of a lost worker on the others; a task
that *raises* is retried ``retries`` times and then fails the run with the block named
(:class:`BlockFailed`). Dask is an optional extra (``pip install -e ".[dask]"``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from .errors import ParameterError

LOCAL = ("processes", None)


class BlockFailed(RuntimeError):
    """A customer block failed on every try; the message names the block."""


def check_scheduler(scheduler: Any) -> str | None:
    """Validate ``--scheduler``: None, ``processes``, ``dask`` or ``tcp://HOST:PORT``."""
    if scheduler is None or scheduler == "processes":
        return None
    if scheduler == "dask" or (isinstance(scheduler, str) and scheduler.startswith(("tcp://", "tls://"))):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ParameterError("scheduler", "needs Dask's distributed scheduler: pip install -e '.[dask]'") from None
        return scheduler
    raise ParameterError("scheduler", f"must be 'processes', 'dask' or 'tcp://HOST:PORT' (got {scheduler!r})")


def is_distributed(scheduler: str | None, client: Any = None) -> bool:
    """True when blocks run on a Dask cluster (the customer cap is then the distributed one)."""
    return client is not None or scheduler not in LOCAL


def run_blocks(
    fn: Callable[[tuple], dict],
    args: Sequence[tuple],
    workers: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    on_done: Callable[[dict], None] | None = None,
    retries: int = 2,
    initializer: tuple[Callable, tuple] | None = None,
    side: tuple[Callable, tuple] | None = None,
) -> tuple[list[dict], Any]:
    """Run ``fn`` over ``args`` (one tuple per block); return the results in block order and the side task's.

    ``initializer`` = ``(function, args)`` runs once in each local pool worker (e.g. to make
    workers exit with their parent). ``side`` = ``(function, args)``: one more task that needs
    no block (the world tables of their own), run on the same workers ahead of the blocks, so
    it overlaps them instead of waiting for them; its result comes second (``None`` without one).
    On any failure the local pool is shut down without waiting and its pending tasks are cancelled.
    """
    done = on_done or (lambda r: None)
    if is_distributed(scheduler, client):
        return _run_dask(fn, args, workers, scheduler, client, done, retries, side)
    results = []
    if workers > 1 and len(args) > 1:
        init, init_args = initializer or (None, ())
        ex = ProcessPoolExecutor(
            max_workers=min(workers, len(args)), mp_context=get_context("fork"), initializer=init, initargs=init_args
        )
        try:
            side_future = ex.submit(side[0], *side[1]) if side else None
            for r in ex.map(fn, args):
                results.append(r)
                done(r)
            side_result = side_future.result() if side_future else None
        except BaseException:
            ex.shutdown(wait=False, cancel_futures=True)
            raise
        ex.shutdown()
    else:
        side_result = side[0](*side[1]) if side else None
        for a in args:
            results.append(fn(a))
            done(results[-1])
    return results, side_result


def _share_common(client: Any, args: Sequence[tuple]) -> list[tuple]:
    """Send what every block shares (scenario, calibration, name pools) to the workers once.

    An argument that is the *same object* in every block's tuple and not a small scalar is
    scattered (broadcast) once and replaced by its future; Dask resolves futures nested in
    a task's arguments, so the block function sees the value itself.
    """
    if len(args) < 2:
        return list(args)
    shared = [
        j
        for j in range(len(args[0]))
        if not isinstance(args[0][j], (int, float, bool, type(None))) and all(a[j] is args[0][j] for a in args)
    ]
    futures = {j: client.scatter(args[0][j], broadcast=True, hash=False) for j in shared}
    return [tuple(futures.get(j, v) for j, v in enumerate(a)) for a in args]


def _run_dask(fn, args, workers, scheduler, client, done, retries, side=None) -> tuple[list[dict], Any]:
    """Submit the side task (key ``side-task``) and every block as a Dask task (keys ``block-00000``...), collect as they finish."""
    from distributed import Client, LocalCluster, as_completed

    own_cluster = own_client = None
    try:
        if client is None:
            if scheduler == "dask":
                own_cluster = LocalCluster(
                    n_workers=max(1, workers),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",
                )
                own_client = client = Client(own_cluster)
            else:
                own_client = client = Client(scheduler, timeout="20s")
        shared = _share_common(client, args)  # before any task runs: a busy worker answers the broadcast late
        side_future = client.submit(side[0], *side[1], key="side-task", pure=False, retries=retries) if side else None
        keys = [f"block-{a[4]:05d}" for a in args]
        futures = client.map(fn, shared, key=keys, pure=False, retries=retries)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict | None] = [None] * len(futures)
        side_result = None
        for fut in as_completed(futures + ([side_future] if side_future else [])):
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - re-raised with the block named
                for f in futures + ([side_future] if side_future else []):
                    f.cancel()
                raise BlockFailed(f"{fut.key} failed after {retries + 1} tries: {type(exc).__name__}: {exc}") from exc
            fut.release()
            if side_future is not None and fut.key == side_future.key:
                side_result = r
                continue
            results[index[fut.key]] = r
            done(r)
        return results, side_result  # type: ignore[return-value]
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
