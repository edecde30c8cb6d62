"""TinyDB storage whose write costs the change, not the database.

TinyDB's own storages hand the whole database to `write()` on every change, and its
`Table` copies a whole table to apply one (TinyDB 4.8's table.py): a create in a store of
100,000 records rewrote 30 MB. Here the data lives in memory and reaches disk in two files:

- `db.json`, a snapshot: the whole database, written atomically (temp file, fsync,
  rename, fsync of the folder), so after a crash it is the old state or the new one.
- `db.json.journal`, an append-only log: one line per committed change (the rows it put
  or deleted), fsync'd before the change is acknowledged.

Opening loads the snapshot and replays the journal. A crash can leave only a torn last
line, never acknowledged, which is dropped. When the journal outgrows the snapshot it is
folded into a new one (compaction), so its replay stays as cheap as the load and a
write's cost stays O(1) amortised. Both files carry a generation: a journal left over
from before a compaction that crashed half-way is recognised as already folded in.

The fold runs behind the requests, not in the write that triggered it: writing a 25 MB
snapshot held every other request up for 0.3 to 0.6 s. The full journal is set aside as
`db.json.journal.folding`, a new one starts at once, and a thread writes the snapshot
from a shallow copy of the tables (rows are replaced on write, never changed in place,
so the copy is the state at that moment), in chunks that let other threads run between
them. Until the new snapshot is down, the old snapshot plus the set-aside journal plus
the new one is the state; opening replays them in that order. A reset or a restore (a
whole-database write, which writes its own snapshot) gives a fold under way up rather than
wait for it with the store locked.

The pieces: `journaled.py` (the storage TinyDB talks to), `snapshot.py`, `journal.py`,
`cache.py` (the load cache a clean stop leaves beside a big snapshot) and `early.py` (a big
snapshot's point reads, from its index, while it loads behind them).
"""
