"""The server's helper processes (the CPU pool, the writer, the job process) never outlive it.

Each calls `serve_only(server_pid)` first: the kernel is asked to kill it when the server dies, however the server
dies (kill -9 too: Linux's PR_SET_PDEATHSIG), and Ctrl-C is left to the server, which stops its helpers itself. A
helper left behind would hold database connections and go on working for nobody. Where the kernel offers no such
request the job process also watches its parent (api/job_process.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal

log = logging.getLogger("ledger.processes")

PR_SET_PDEATHSIG = 1  # prctl(2)
HELPER_NICENESS = 10  # how much lower a helper's scheduling priority is than the server's (os.nice)


def serve_only(server_pid: int) -> None:
    """A helper's first act: die with the server `server_pid`, ignore Ctrl-C, and step back behind the serving
    processes (a helper's work is throughput; when the cores are short the loop answering verification and
    PostgreSQL's backends get them first). Exits at once if the server is already gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            log.warning("this helper process will not be killed with its server (prctl refused)")
    if os.getppid() != server_pid:  # it died before the request was made
        os._exit(1)
    with contextlib.suppress(OSError):
        os.nice(HELPER_NICENESS)
