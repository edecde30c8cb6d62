"""An upload's sheet read in a process of its own, with limits on its CPU time, its memory
and the wall-clock time it may take.

openpyxl holds the GIL for 60-120 ms at a stretch, and a sheet that gets past the pre-scan
(sheet_parts.py) can still cost it seconds and hundreds of megabytes; in the server's own
process every other request waits behind it (issue 30). A child forked for each import
reads it instead: RLIMIT_CPU and RLIMIT_AS bound what it may spend (the kernel ends it
past them), and the parent waits for its answer at most IMPORT_SECONDS, then kills it.
Its death is an answer too, never a hang: SheetError (422, the sheet's fault: it used up
the CPU time or the memory an import may) or SheetBusy (503: the machine was too busy to
read it in time, or no process could be started).

Forked, not spawned: the child starts in milliseconds with openpyxl already imported,
and with whatever the parent set (a test's monkeypatch, the app's limits) as it was.
"""

import multiprocessing
import os
import resource
import signal
from multiprocessing.connection import Connection
from typing import Any

from ..defaults import IMPORT_CPU_SECONDS, IMPORT_MAX_TEXT, IMPORT_MEMORY, IMPORT_SECONDS
from .sheets import SheetError, Table, read_table


class SheetBusy(Exception):
    """The sheet could not be read now, through no fault of its own; the message says why."""


def read_table_apart(
    data: bytes,
    max_rows: int,
    cpu_seconds: int = IMPORT_CPU_SECONDS,
    memory: int = IMPORT_MEMORY,
    seconds: float = IMPORT_SECONDS,
    max_text: int = IMPORT_MAX_TEXT,
) -> Table:
    """sheets.read_table(data, max_rows, max_text), in a child process within the limits
    (`serve --import-cpu-time`, `--import-memory`, `--import-timeout`, `--import-max-text`)."""
    if multiprocessing.current_process().daemon:  # multiprocessing lets a daemon have no child
        return read_table(data, max_rows, max_text)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(send, data, max_rows, max_text, cpu_seconds, memory), daemon=True)
    try:
        child.start()
    except OSError as e:
        receive.close()
        send.close()
        raise SheetBusy(f"no process could be started to read the sheet ({e}): try again shortly") from e
    send.close()  # the child's end: recv sees the end of the pipe when the child dies
    try:
        if not receive.poll(seconds):
            raise SheetBusy(
                f"reading the sheet took longer than {seconds:g} s (the server is busy?): try again shortly"
            )
        try:
            kind, value = receive.recv()
        except (EOFError, OSError):  # it died without a word: a limit's signal
            child.join(5)
            raise SheetError(_death(child.exitcode, cpu_seconds, memory)) from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
        if child.exitcode is not None:
            child.close()
    if kind == "table":
        return value
    raise SheetError(value)


def _child(send: Connection, data: bytes, max_rows: int, max_text: int, cpu_seconds: int, memory: int) -> None:
    answer: tuple[str, Any]
    try:
        _limit(cpu_seconds, memory)
        answer = ("table", read_table(data, max_rows, max_text))
    except SheetError as e:
        answer = ("error", str(e))
    except MemoryError:
        answer = ("error", _over_memory(memory))
    except BaseException as e:  # anything else is an answer too, never a silent death
        answer = ("error", f"is not a readable .xlsx workbook ({type(e).__name__}: {e})")
    try:
        send.send(answer)
    except MemoryError:
        send.send(("error", _over_memory(memory)))
    send.close()


def _limit(cpu_seconds: int, memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    used = resource.getrusage(resource.RUSAGE_SELF)
    _lower(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime) + cpu_seconds)
    _lower(resource.RLIMIT_AS, _address_space() + memory)


def _lower(which: int, soft: int) -> None:
    hard = resource.getrlimit(which)[1]
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(which, (soft, hard))


def _address_space() -> int:
    """The bytes of address space this process has mapped (what RLIMIT_AS counts)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _death(exitcode: int | None, cpu_seconds: int, memory: int) -> str:
    if exitcode == -signal.SIGXCPU:
        return f"took more than the {cpu_seconds} s of CPU time an import may use: refused"
    return _over_memory(memory) if exitcode is not None else "could not be read: its reader stopped answering"


def _over_memory(memory: int) -> str:
    return f"needs more than the {memory // 2**20:,} MiB of memory an import may use to be read: refused"
