"""The files a store on disk consists of, and the lock that keeps it to one server."""

import fcntl
import os
from pathlib import Path
from typing import IO

from .storage.cache import cache_of
from .storage.journal import folding_of, journal_of


class StoreInUse(RuntimeError):
    pass


def claim(path: Path) -> IO[str]:
    """One server per file: a second one would overwrite the first one's writes. The lock
    lasts as long as the returned handle is open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        handle = open(_lock_of(path), "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise StoreInUse(f"{path} is in use by {owner}; stop it or choose another --db") from None
        try:
            current = os.stat(_lock_of(path)).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(handle.fileno()).st_ino:
            break
        handle.close()  # locked a file its owner removed on closing: lock the one there now
    handle.seek(0)
    handle.truncate()
    handle.write(f"mockserver pid {os.getpid()}")
    handle.flush()
    return handle


def release(handle: IO[str]) -> None:
    """Ends a `claim`. The file goes while still held: a stopped server leaves its store as
    one file (and `claim` knows to lock again a file removed under it)."""
    Path(handle.name).unlink(missing_ok=True)
    handle.close()


def data_files_of(path: Path) -> list[Path]:
    """The files that hold a store's records: its snapshot, its journal, and a journal set
    aside while a fold writes the next snapshot (only then)."""
    folding = folding_of(journal_of(path))
    return [path, journal_of(path), *([folding] if folding.exists() else [])]


def files_of(path: Path) -> list[Path]:
    """What a store on disk consists of, for deleting it whole."""
    return [path, journal_of(path), folding_of(journal_of(path)), cache_of(path), _lock_of(path)]


def _lock_of(path: Path) -> Path:
    return path.with_name(path.name + ".lock")
