"""Large answers sent from a file, so a client that does not read holds a small buffer, not
the answer.

granian copies an answer handed over in memory (`response_bytes`) into a buffer of its own
that lives until the last byte is written: 100 clients that asked for a 14 MB customer
list and never read took a server from 225 to 1,632 MB. Its streaming answer does not help:
`send_bytes` feeds an unbounded channel and never waits. A file answer (`response_file`)
is read 128 KiB at a time as the socket drains, so an answer over STREAM_FROM bytes is
written to a file here (in a thread, off the event loop) and sent from it.

Files are named by their content's hash, so the clients of one answer share one file.
They live in a folder of this process's under the temporary directory ($TMPDIR), which
holds at most `max_bytes`: past it the oldest files are unlinked (a client still reading
one keeps it until done: the kernel frees it then), never one younger than a minute,
since granian opens a file after the answer is handed over. When the folder is full of
young files, or the disk refuses a write, the answer is sent from memory as before.
"""

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from .. import defaults

STREAM_FROM = defaults.STREAM_FROM_BYTES
YOUNG = 60.0  # seconds a file is kept at least: granian opens it after the answer went out
PREFIX = "mockserver-spool-"


class Spool:
    def __init__(self, max_bytes: int = defaults.SPOOL_MAX_BYTES, folder: Path | None = None) -> None:
        _remove_orphans()
        self.folder = folder or Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
        self.max_bytes = max_bytes
        self._files: OrderedDict[str, tuple[int, float]] = OrderedDict()  # name -> (size, written at), oldest first
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, content: bytes) -> str | None:
        """The path of a file holding `content`, or None: send it from memory."""
        name = hashlib.blake2b(content, digest_size=16).hexdigest()  # releases the GIL on big data
        path = self.folder / name
        with self._lock:
            if name in self._files and path.exists():
                self._files[name] = (len(content), time.monotonic())
                self._files.move_to_end(name)
                return str(path)
            if not self._room_for(len(content)):
                return None
        try:
            fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        except OSError:
            return None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(temporary, path)  # whole or absent: a reader never opens half a file
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            return None
        with self._lock:
            if name not in self._files:
                self._bytes += len(content)
            self._files[name] = (len(content), time.monotonic())
            self._files.move_to_end(name)
        return str(path)

    def _room_for(self, size: int) -> bool:
        """Unlinks the oldest files not young until `size` more fits (under the lock)."""
        now = time.monotonic()
        while self._bytes + size > self.max_bytes and self._files:
            name, (old_size, written) = next(iter(self._files.items()))
            if now - written < YOUNG:
                return False
            del self._files[name]
            self._bytes -= old_size
            (self.folder / name).unlink(missing_ok=True)
        return self._bytes + size <= self.max_bytes

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _remove_orphans() -> None:
    """Folders left by a server that was killed: each named by its process's id."""
    if not Path("/proc/self").exists():
        return  # no way to tell a live process's folder here
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX).partition("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
