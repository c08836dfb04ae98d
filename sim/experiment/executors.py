"""Where replications run: in this process, a local process pool, or a Dask cluster.

All three are ``concurrent.futures``-style executors driven by the same code path (the
:class:`~sim.experiment.driver.Driver`), so the numbers are identical whichever runs them. Dask
is optional: ``pip install approvalsim[dask]``. A scheduler address is checked before any work:
garbage is refused at once, and a scheduler that does not answer within ``timeout`` seconds (or
a server that answers but is not Dask) is a clean :class:`~sim.experiment.errors.UsageError`, not
a wait and a traceback.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from concurrent.futures import Executor

from sim.experiment.errors import UsageError

#: How long a scheduler may take to answer before we give up (seconds).
CONNECT_TIMEOUT = 5.0
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss)://[\w.\-\[\]:]+(:\d{1,5})?/?$|^[\w.\-]+:\d{1,5}$")


def check_address(address: str) -> str:
    """``address`` if it reads as a scheduler address (``tcp://host:port``); UsageError if not."""
    if not isinstance(address, str) or not _ADDRESS.match(address.strip()):
        raise UsageError(
            f"--scheduler {address!r} is not a scheduler address (valid: tcp://HOST:PORT)"
        )
    return address.strip()


def _no_scheduler(address: str, timeout: float, exc: BaseException) -> UsageError:
    first = str(exc).splitlines()[0][:200] if str(exc) else "no reply"
    return UsageError(
        f"--scheduler {address}: no Dask scheduler handshake within {timeout:g} s "
        f"({type(exc).__name__}: {first})"
    )


def _probe(address: str, timeout: float) -> None:
    """Read Dask's handshake from ``address`` before any ``Client`` exists; UsageError if not.

    A server that answers with something other than Dask's handshake (an HTTP server, a proxy)
    makes ``Client()`` raise whatever its frame decoder meets (a 3-EiB allocation, say) and
    leaves a half-made client whose finaliser waits 10 s and prints a traceback at exit.
    """
    import asyncio

    from distributed.comm import connect

    async def handshake() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout + 1)
        await comm.close()

    try:
        asyncio.run(handshake())
    except Exception as exc:
        raise _no_scheduler(address, timeout, exc) from None


@contextlib.contextmanager
def dask_executor(address: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[Executor]:
    """An executor that runs tasks on the Dask scheduler at ``address``."""
    address = check_address(address)
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the optional extra
        raise UsageError(
            "a Dask scheduler needs the optional extra: pip install 'approvalsim[dask]'"
        ) from None
    _probe(address, timeout)
    try:
        client = Client(address, set_as_default=False, timeout=f"{timeout}s")
    except Exception as exc:  # whatever the far end does, a clean one-line error
        raise _no_scheduler(address, timeout, exc) from None
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
