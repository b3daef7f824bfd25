"""Helper processes that die with the crawl: no forkserver or parse worker outlives its parent.

A SIGKILL of the crawler's main process (the OOM killer, an operator) gives it no chance to
stop its process pool; the workers stay blocked on their queue and the forkserver waits for
work forever.  Two mechanisms end them:

* ``PR_SET_PDEATHSIG`` (Linux ``prctl``): the kernel sends SIGKILL when the parent dies.  The
  forkserver sets it on import (it is listed as a forkserver preload module) and each worker in
  its initializer; the chain main → forkserver → worker then falls down from the top.
* A watchdog thread (every platform, and a second line on Linux) polls the pid it was started
  for (``pidfd`` where the kernel has it, so a reused pid cannot fool it) and exits the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import signal
import sys
import threading

from nianbao import intake

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 1.0
ENV_MAIN = "NIANBAO_LIFELINE_MAIN"


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(pid: int, *, interval: float = POLL_SECONDS) -> threading.Thread | None:
    """Exit this process (``os._exit``) as soon as process ``pid`` is gone; returns the daemon thread."""
    if pid <= 1 or pid == os.getpid():
        return None
    fd = None
    with contextlib.suppress(AttributeError, OSError):
        fd = os.pidfd_open(pid)

    def run() -> None:
        while True:
            if fd is not None:
                ready, _, _ = select.select([fd], [], [], interval)
                if ready:
                    os._exit(70)
            elif not alive(pid):
                os._exit(70)
            else:
                threading.Event().wait(interval)

    if fd is None and not alive(pid):
        os._exit(70)
    thread = threading.Thread(target=run, name="nianbao-lifeline", daemon=True)
    thread.start()
    return thread


def bind_to(main_pid: int) -> None:
    """In a helper process: die with the parent (prctl) and with ``main_pid`` (watchdog)."""
    parent = os.getppid()
    set_parent_death_signal()
    if os.getppid() != parent or not alive(main_pid):  # the parent died before prctl took effect
        os._exit(70)
    watch(main_pid)


def _on_import() -> None:
    """In the forkserver (imported as a preload module): die with the crawl that started it.

    No watchdog thread here: the forkserver forks the workers, and forking a threaded process
    is unsafe.  Its parent is the crawl's main process, so the parent-death signal suffices.
    """
    main = os.environ.get(ENV_MAIN, "")
    if main.isdigit() and int(main) == os.getppid():
        set_parent_death_signal()
        if os.getppid() != int(main):  # died before prctl took effect
            os._exit(70)


_on_import()


def parse_worker_init(main_pid: int | None = None) -> None:
    """Initializer of a crawl's parse workers: die with the crawl (no orphan after a SIGKILL), then
    import the intake (and the parsers) once per worker, not per document.  Imports no Scrapy."""
    if main_pid:
        bind_to(main_pid)
    intake.warm_up()
