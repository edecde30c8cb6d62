"""A TinyDB storage that never leaves a half-written file.

TinyDB's JSONStorage overwrites its file in place and re-parses it on every read
(shared/LIBNOTES.md §2). This one keeps the data in memory, and writes it through to disk
as a whole new file that replaces the old one atomically (temp file, fsync, rename, fsync
of the folder): after a crash the file is the old state or the new one, never a mix.

Writes can be batched, so a change spanning several tables reaches disk as one write or
not at all.
"""

import json
import os
import tempfile
from pathlib import Path

from tinydb.storages import Storage


class AtomicJSONStorage(Storage):
    def __init__(self, path: str | os.PathLike | None = None):
        """path None keeps everything in memory (tests, throwaway servers)."""
        self.path = Path(path).resolve() if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._data = self._load()
        self._batch_depth = 0
        self._dirty = False

    def read(self):
        # TinyDB mutates what it reads before writing it back; that is fine here because a
        # failed write reloads the last state that reached disk (see write).
        return self._data

    def write(self, data) -> None:
        self._data = data
        if self._batch_depth:
            self._dirty = True
        else:
            self._flush()

    def begin(self) -> None:
        self._batch_depth += 1

    def commit(self) -> None:
        self._batch_depth -= 1
        if self._batch_depth == 0 and self._dirty:
            self._dirty = False
            self._flush()

    def rollback(self) -> None:
        """Forget what the batch changed: back to the state on disk."""
        self._batch_depth -= 1
        if self._batch_depth == 0:
            self._dirty = False
            if self.path is not None:
                self._data = self._load()

    def _load(self):
        if self.path is None or not self.path.exists():
            return None
        text = self.path.read_text(encoding="utf-8")
        return json.loads(text) if text.strip() else None

    def _flush(self) -> None:
        if self.path is None:
            return
        try:
            write_atomic(self.path, self._data)
        except BaseException:
            self._data = self._load()  # memory must not claim what disk does not hold
            raise


def write_atomic(path: Path, data) -> None:
    """`data` as JSON in `path`, replacing the old file whole: after a crash it is one or the other."""
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(folder, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
