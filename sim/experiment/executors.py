"""Where replications run: in this process, a local process pool, or a Dask cluster.

All three are ``concurrent.futures``-style executors driven by the same code path (the
:class:`~sim.experiment.driver.Driver`), so the numbers are identical whichever runs them. Dask
is optional: ``pip install approvalsim[dask]``. A scheduler address is checked before any work:
garbage is refused at once, and a scheduler that does not answer within ``timeout`` seconds is a
clean :class:`~sim.experiment.errors.UsageError`, not a wait and a traceback.
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
    try:
        client = Client(address, set_as_default=False, timeout=f"{timeout}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no reply'})"
        ) from None
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
