"""Whose state a request reads and writes.

A sandbox is everything a test run can change: the store (with its snapshots), the clock,
the journal and the fault rules. By default one sandbox is shared by every caller.
`--isolation token` gives every distinct bearer token a sandbox of its own, seeded from
the fixtures on first use, so parallel CI jobs and demo visitors never see each other's
data, and the control plane acts on the caller's.

Sandboxes on disk live beside the main store (`.mockserver/db.json` ->
`.mockserver/db.sandboxes/<key>.json`, the key a hash of the token, never the token), and
survive restarts. So that a public demo cannot fill the disk, there are at most `limit`
of them and one unused for `idle_seconds` is deleted.
"""

import contextlib
import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, g, has_request_context, request

from ..mocking.faults import Faults
from ..mocking.journal import Journal
from ..web.auth import check_bearer
from ..web.errors import ApiError
from . import ledger
from .clock import Clock
from .files import claim, data_files_of, files_of, release
from .quota import UNLIMITED, Quota
from .snapshots import Snapshots
from .storage.snapshot import StoreDamaged
from .store import Store

SANDBOXES = "mockserver.sandboxes"  # the app's Shared or PerToken, in Flask's app.extensions
TOUCH_EVERY = 60.0  # seconds: how stale a sandbox file's mtime (its last use, after a restart) may be
SWEEP_EVERY = 60.0  # seconds between looks for idle sandboxes when no new one is made


@dataclass
class Sandbox:
    store: Store
    snapshots: Snapshots
    clock: Clock
    journal: Journal
    faults: Faults
    quota: Quota = UNLIMITED
    last_used: float = field(default_factory=time.time)

    @classmethod
    def open(
        cls, path: Path | None, journal: tuple[int, int], latency: tuple[int, int] | None, quota: Quota = UNLIMITED
    ) -> "Sandbox":
        """`journal`: the entries and the bytes its journal keeps at most."""
        store = Store(path, kept=ledger.KEPT)
        return cls(store, Snapshots(store, quota), Clock(), Journal(*journal), Faults(latency), quota)

    def version(self) -> tuple[int, int]:
        """Moves on with every write to the store and every change of the clock: an answer
        made at one version is made again the same while it holds (serving/reuse.py)."""
        return self.store.version, self.clock.version

    def reset(self) -> dict[str, int]:
        """The store to the fixtures, and the journal, clock and faults as a new server has
        them; snapshots are kept (they are what a user saved). Returns records per table."""
        self.store.reset()
        self.journal.clear()
        self.clock.real()
        self.faults.clear()
        return self.store.counts()


class Shared:
    """One sandbox for every caller: the default."""

    isolation = "shared"

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def get(self, token: str | None, create: bool = True) -> Sandbox:
        return self.sandbox

    def describe(self) -> dict:
        return {"isolation": self.isolation}

    def load_behind(self, after: Callable[[], None], failed: Callable[[BaseException], None]) -> None:
        """The store, if opened before it was loaded (a big one), loaded on a thread of its own."""
        self.sandbox.store.load_behind(after, failed)

    def close(self) -> None:
        self.sandbox.store.close()


class SandboxLimit(ApiError):
    pass


class PerToken:
    isolation = "token"

    def __init__(
        self,
        db: str | os.PathLike | None,
        limit: int,
        idle_seconds: float,
        journal: tuple[int, int],
        latency: tuple[int, int] | None,
        quota: Quota = UNLIMITED,
    ):
        # None: sandboxes in memory, gone with the process
        self.folder = sandbox_folder(db) if db is not None else None
        # One server per folder of sandboxes, as per store file: it holds the store's lock.
        self._claimed = claim(Path(db)) if db is not None else None
        self.limit, self.idle_seconds = limit, idle_seconds
        self._journal, self._latency, self.quota = journal, latency, quota
        self._open: dict[str, Sandbox] = {}
        self._lock = threading.Lock()
        self._swept = time.time()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)

    def get(self, token: str | None, create: bool = True) -> Sandbox | None:
        """The token's sandbox, made on first use; with create=False, None if it has none."""
        if token is None:
            return None
        key = hashlib.sha256(token.encode()).hexdigest()[:32]
        now = time.time()
        with self._lock:
            if now - self._swept > SWEEP_EVERY:
                self._expire(now)
            sandbox = self._open.get(key)
            if sandbox is None:
                if not create and not self._stored(key):
                    return None
                try:
                    sandbox = self._make(key, now)
                except SandboxLimit:
                    if create:
                        raise
                    return None  # what is recorded of a request is not refused for its sandbox
            if now - sandbox.last_used > TOUCH_EVERY and sandbox.store.path is not None:
                sandbox.store.path.touch()
            sandbox.last_used = now
            return sandbox

    def describe(self) -> dict:
        with self._lock:
            count = len(self._last_uses())
        return {
            "isolation": self.isolation,
            "sandboxes": count,
            "max_sandboxes": self.limit,
            "idle_expiry_seconds": self.idle_seconds,
            "quota": {
                "store_bytes": self.quota.store_bytes,
                "snapshots": self.quota.snapshots,
                "snapshot_bytes": self.quota.snapshot_bytes,
            },
        }

    def load_behind(self, after: Callable[[], None], failed: Callable[[BaseException], None]) -> None:
        """A sandbox's store is opened on its token's first request, and loaded then."""
        after()

    def close(self) -> None:
        with self._lock:
            for sandbox in self._open.values():
                sandbox.store.close()
            self._open.clear()
            if self._claimed is not None:
                release(self._claimed)
                self._claimed = None

    # -- inside (under the lock)

    def _make(self, key: str, now: float) -> Sandbox:
        uses = self._expire(now)
        if key not in uses and len(uses) >= self.limit:
            wait = int(min(uses.values()) + self.idle_seconds - now) + 1
            raise SandboxLimit(
                503,
                f"This server holds its limit of {self.limit} sandboxes (--max-sandboxes); the least recently "
                f"used one expires in {wait} s (--sandbox-idle). Reuse a token you already have, or try later.",
                headers={"Retry-After": str(wait)},
            )
        path = self.folder / f"{key}.json" if self.folder is not None else None
        try:
            sandbox = Sandbox.open(path, self._journal, self._latency, self.quota)
        except StoreDamaged as e:
            raise SandboxLimit(503, f"This token's sandbox cannot be opened: {e}") from e
        self._open[key] = sandbox
        return sandbox

    def _expire(self, now: float) -> dict[str, float]:
        """Deletes the idle sandboxes; returns the last use of every one left."""
        self._swept = now
        uses = self._last_uses()
        for key in [key for key, used in uses.items() if now - used > self.idle_seconds]:
            self._delete(key)
            del uses[key]
        return uses

    def _delete(self, key: str) -> None:
        sandbox = self._open.pop(key, None)
        if sandbox is not None:
            sandbox.store.close()
        if self.folder is not None:
            for leftover in files_of(self.folder / f"{key}.json"):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(self.folder / f"{key}.snapshots", ignore_errors=True)

    def _last_uses(self) -> dict[str, float]:
        """Every sandbox, open or only on disk: open ones by their last request, the others
        by their file's mtime."""
        on_disk = {}
        if self.folder is not None:
            for file in self.folder.glob("*.json"):
                # writes go to the journal (gone once a clean stop folded it in); the snapshot
                # changes only when it is folded in
                times = [_mtime(f) for f in data_files_of(file)]
                if any(times):  # none: deleted since the glob
                    on_disk[file.stem] = max(times)
        return {**on_disk, **{key: sandbox.last_used for key, sandbox in self._open.items()}}

    def _stored(self, key: str) -> bool:
        # One file looked at: this runs for every refused or unknown-path request.
        return self.folder is not None and (self.folder / f"{key}.json").exists()


def _mtime(path: Path) -> float:
    """The file's last change, or 0.0 if there is no such file."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def open_sandboxes(app: Flask) -> Shared | PerToken:
    config = app.config
    if config["ISOLATION"] == "token":
        return PerToken(
            config["DB_PATH"],
            config["MAX_SANDBOXES"],
            config["SANDBOX_IDLE_SECONDS"],
            (config["JOURNAL_SIZE"], config["JOURNAL_MAX_BYTES"]),
            config["LATENCY"],
            Quota(config["SANDBOX_MAX_STORE"], config["SANDBOX_MAX_SNAPSHOTS"], config["SANDBOX_MAX_SNAPSHOT_BYTES"]),
        )
    return Shared(
        Sandbox.open(config["DB_PATH"], (config["JOURNAL_SIZE"], config["JOURNAL_MAX_BYTES"]), config["LATENCY"])
    )


def sandbox_folder(db: str | os.PathLike) -> Path:
    return Path(db).with_name(Path(db).stem + ".sandboxes")


def current() -> Sandbox:
    """The caller's sandbox, which routing picks once the bearer token is checked."""
    return g.sandbox


def of_request(app: Flask) -> Sandbox | None:
    """The caller's sandbox if it has one, without making one: for what is recorded about
    any request (the journal, the clock), a 401 or an unknown path included."""
    if (chosen := g.get("sandbox")) is not None:
        return chosen
    token = None
    if has_request_context():
        # a refused token has no sandbox of its own (the shared one still records it)
        with contextlib.suppress(ApiError):
            token = check_bearer(request.headers.get("Authorization"), app.config["TOKEN"])
    return app.extensions[SANDBOXES].get(token, create=False)


def shared(app: Flask) -> Sandbox:
    """The one sandbox of a server without isolation (tests, the CLI)."""
    sandboxes = app.extensions[SANDBOXES]
    if not isinstance(sandboxes, Shared):
        raise TypeError("this server gives every token its own sandbox; there is no shared one")
    return sandboxes.sandbox
