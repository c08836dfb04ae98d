"""Where replications run: in this process, a local process pool, or a Dask cluster.

All three are ``concurrent.futures``-style executors used through the same code path
(``executor.map`` over replication numbers, results in order), so the numbers are identical
whichever runs them. Dask is optional: ``pip install approvalsim[dask]``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Executor


@contextlib.contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """An executor that runs tasks on the Dask scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError(
            "a Dask scheduler needs the optional extra: pip install 'approvalsim[dask]'"
        ) from exc
    client = Client(address, set_as_default=False)
    try:
        yield client.get_executor()
    finally:
        client.close()


@contextlib.contextmanager
def executor_for(scheduler: str | None) -> Iterator[Executor | None]:
    """``None`` (use ``jobs`` local processes) or a Dask executor for ``scheduler``."""
    if scheduler is None:
        yield None
    else:
        with dask_executor(scheduler) as ex:
            yield ex
