"""How much memory the processes of a build use: a chapter kernel's peak, and a process tree's peak.

- :class:`KernelWatch` records the peak resident memory of the kernel papermill starts for one
  chapter. Its kernel manager class (handed to papermill as ``kernel_manager_class``) notes the
  kernel's process id when it starts; a thread then samples the kernel and its child processes
  every ``interval`` seconds. On Linux the kernel's own figure is ``VmHWM`` from
  ``/proc/PID/status``, the operating system's high-water mark, so a peak between two samples
  is not missed; its children (rare: a chapter that starts worker processes) are sampled.
- :func:`tree_rss` sums the resident memory of a process and all its descendants (psutil);
  ``benchmarks/bench_build.py`` samples it for a whole build.

psutil comes with ipykernel, which papermill needs; without it the figures are ``None``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

MB = 1024 * 1024


def tree_rss(pid: int) -> int:
    """Resident bytes of process ``pid`` plus all its descendants (0 if it is gone or psutil is missing)."""
    try:
        import psutil

        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except Exception:  # noqa: BLE001 - gone, no permission, or no psutil
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except Exception:  # noqa: BLE001 - exited between listing and reading
            pass
    return total


def high_water_mark(pid: int) -> int:
    """Peak resident bytes of ``pid`` so far (Linux ``VmHWM``); 0 where unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class KernelWatch:
    """Peak memory of one chapter's kernel (and its children) while papermill runs it.

    Use ``manager_class()`` as papermill's ``kernel_manager_class``, run the notebook inside
    ``with watch:``, then read :attr:`peak_mb` (``None`` if the kernel was never seen).
    """

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self.pid: int | None = None
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def manager_class(self) -> type:
        """An ``AsyncKernelManager`` subclass that reports its kernel's process id to this watch."""
        from jupyter_client.manager import AsyncKernelManager

        watch = self

        class WatchedKernelManager(AsyncKernelManager):
            async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
                await super().start_kernel(**kw)
                pid = getattr(self.provisioner, "pid", None)
                watch.pid = int(pid) if pid else None
                watch.sample()

            async def shutdown_kernel(self, *a: Any, **kw: Any) -> None:  # type: ignore[override]
                watch.sample()  # the last reading, while the kernel still runs
                await super().shutdown_kernel(*a, **kw)

        return WatchedKernelManager

    def sample(self) -> None:
        """Read the kernel's memory once and keep the largest figure seen (its own peak plus its children now)."""
        if self.pid is None:
            return
        own = own_rss(self.pid)
        children = max(0, tree_rss(self.pid) - own)
        self.peak = max(self.peak, max(high_water_mark(self.pid), own) + children)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> KernelWatch:
        self._thread = threading.Thread(target=self._run, name="kernel-watch", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_mb(self) -> float | None:
        """The peak in MB (``None`` if the kernel was never seen)."""
        return round(self.peak / MB, 1) if self.peak else None


def own_rss(pid: int) -> int:
    """Resident bytes of ``pid`` alone (0 if it is gone or psutil is missing)."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss
    except Exception:  # noqa: BLE001 - gone, no permission, or no psutil
        return 0
