"""What one sandbox may keep on disk, and what the server says when the disk says no.

`--max-sandboxes` bounds how many sandboxes a demo holds; these bound what each costs, so
the whole is bounded too: max_sandboxes x (store + snapshot bytes), 100 x (16 + 32) MiB =
4.7 GiB by default. They apply to the sandboxes of `--isolation token`, whose owners are
strangers; a shared store is its operator's, as large as they seed it.

A sandbox over its store quota still answers reads, deletes, a reset and a restore, so
its owner can get back under it; what would add more is refused with 507 before it runs.
A write the disk itself refuses (ENOSPC) is rolled back in memory as well, and answered
507 saying that nothing was written; the next write is tried again as usual, so writes
succeed again as soon as space is freed.
"""

from dataclasses import dataclass

from ..web.errors import ApiError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Quota:
    store_bytes: int | None = None  # the store's files: its snapshot and its journal
    snapshots: int | None = None  # how many it may save
    snapshot_bytes: int | None = None  # their files, all together


UNLIMITED = Quota()


class OverQuota(ApiError):
    def __init__(self, message: str):
        super().__init__(507, message)


def check_store(quota: Quota, used: int) -> None:
    """Before a request that may add to the store."""
    if quota.store_bytes is not None and used > quota.store_bytes:
        raise OverQuota(
            f"This sandbox's store holds {size(used)}, over its quota of {size(quota.store_bytes)} "
            "(mockserver serve --sandbox-max-store); nothing was written. Delete records, restore a smaller "
            "snapshot, or reset it (POST /__mock/reset)."
        )


def check_snapshot(quota: Quota, others: list[int], adding: int) -> None:
    """Before saving a snapshot of `adding` bytes beside `others` (the sizes of the rest)."""
    if quota.snapshots is not None and len(others) >= quota.snapshots:
        raise OverQuota(
            f"This sandbox holds {len(others)} snapshots, its quota (mockserver serve --sandbox-max-snapshots); "
            "nothing was saved. Delete one first (DELETE /__mock/snapshots/{name})."
        )
    if quota.snapshot_bytes is not None and sum(others) + adding > quota.snapshot_bytes:
        raise OverQuota(
            f"This snapshot ({size(adding)}) and the others ({size(sum(others))}) would pass this sandbox's quota "
            f"of {size(quota.snapshot_bytes)} (mockserver serve --sandbox-max-snapshot-bytes); "
            "nothing was saved. Delete a snapshot first."
        )


def size(count: int) -> str:
    return f"{count / MiB:.1f} MiB" if count >= MiB else f"{count / 1024:.0f} KiB"
