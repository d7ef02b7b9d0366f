"""Customer blocks on a Dask cluster: the same bytes as on a laptop, clean failure, retried loss."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from synthetic import store
from synthetic.executors import BlockFailed

distributed = pytest.importorskip("distributed")

N = 45_000  # three customer blocks (BLOCK_SIZE 20,000), small enough for CI


def parquet_digests(folder: Path) -> dict[str, str]:
    """sha256 of every Parquet part (relative path -> digest)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as lc,
        distributed.Client(lc) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def serial_world(tmp_path_factory):
    return store.generate(tmp_path_factory.mktemp("serial") / "w", seed=3, n_customers=N, workers=1, progress=False)


@pytest.mark.slow
def test_dask_bytes_equal_process_pool_and_serial(tmp_path, cluster, serial_world):
    pool = store.generate(tmp_path / "pool", seed=3, n_customers=N, workers=2, progress=False)
    dask = store.generate(tmp_path / "dask", seed=3, n_customers=N, client=cluster, progress=False)
    ref = parquet_digests(serial_world)
    assert len(ref) > 20
    assert parquet_digests(pool) == ref
    assert parquet_digests(dask) == ref


def _fail_block_one():
    """Installed on the workers: block 1 always raises."""
    import synthetic.block as block

    original = block.generate_block

    def failing(args):
        if args[4] == 1:
            raise OSError("disk full (simulated)")
        return original(args)

    block.generate_block = failing


@pytest.mark.slow
def test_failed_block_is_named_and_earlier_world_intact(tmp_path, serial_world):
    out = tmp_path / "w"
    store.generate(out, seed=3, n_customers=N, workers=1, progress=False)
    before = parquet_digests(out)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as lc,
        distributed.Client(lc) as client,
    ):
        client.run(_fail_block_one)
        with pytest.raises(BlockFailed, match="block-00001"):
            store.generate(out, seed=4, n_customers=N, client=client, progress=False)
    assert parquet_digests(out) == before  # the earlier world is intact
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]  # no half-written folder left


@pytest.mark.slow
def test_killed_worker_blocks_are_rerun(tmp_path, serial_world):
    """A worker process dies mid-run: the scheduler reruns its blocks elsewhere; same bytes."""
    import os
    import signal
    import threading

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
        ) as lc,
        distributed.Client(lc) as client,
    ):
        pids = list(client.run(os.getpid).values())

        def kill_one():
            import time

            time.sleep(1.0)  # blocks take several seconds each: the kill lands mid-run
            os.kill(pids[0], signal.SIGKILL)

        t = threading.Thread(target=kill_one)
        t.start()
        out = store.generate(tmp_path / "w", seed=3, n_customers=N, client=client, progress=False)
        t.join()
    assert parquet_digests(out) == parquet_digests(serial_world)


def test_bad_scheduler_is_one_line(capsys):
    from synthetic.cli import main

    assert main(["-n", "1000", "--scheduler", "nowhere", "--data-dir", "/nonexistent-xyz"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "scheduler" in err[0] and "tcp://HOST:PORT" in err[0]


def test_customer_cap_lifted_only_with_a_cluster():
    from synthetic.errors import ParameterError

    with pytest.raises(ParameterError, match="200,000,000 with --scheduler dask"):
        store.check_inputs("case", 7, 6_000_000, None)
    store.check_inputs("case", 7, 6_000_000, None, distributed=True)  # accepted
