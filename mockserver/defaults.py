"""Every setting's default, in a module that imports nothing of weight.

The CLI's help shows them, and `serve` only supervises granian's worker: it should not
load flask, the schemas and the spec (20 MB of a process that answers nothing) to know them.
"""

from datetime import date
from pathlib import Path

DB = Path(".mockserver") / "db.json"
MAX_BODY = 5 * 1024 * 1024  # a 10,000-customer sheet is about 400 KB
MAX_HEADER_SIZE = 16 * 1024  # the request line and headers (web/headers.py): 431 past it, as Node's default
IMPORT_ROWS = 10_000
# bytes the cells of an import sheet that point at shared strings add up to (formats/sheet_parts.py):
# a 10,000-row sheet of 5 long columns has under 13 MB; one long text pointed at by every cell, gigabytes
IMPORT_MAX_TEXT = 32 * 1024 * 1024
# the process an import's sheet is read in (formats/sheet_worker.py): a 10,000-row sheet takes
# openpyxl about 2 s and 150 MB here; past the CPU time or memory 422, past the wall-clock time 503
IMPORT_CPU_SECONDS = 30
IMPORT_MEMORY = 1024 * 1024 * 1024
IMPORT_SECONDS = 60.0
MAX_SANDBOXES = 100
# what one sandbox of --isolation token may keep (quota.py): 100 x (16 + 32) MiB in all
SANDBOX_MAX_STORE = 16 * 1024 * 1024  # the fixtures take 6 KB; a 10,000-row import about 5 MiB
SANDBOX_MAX_SNAPSHOTS = 10
SANDBOX_MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024
SANDBOX_IDLE = 24 * 3600.0
BODY_TIMEOUT = 10.0  # seconds a body may take, plus one per 10 KiB of it (serving/front.py)
JOURNAL_SIZE = 1000  # API requests GET /__mock/requests keeps
JOURNAL_MAX_BYTES = 8 * 1024 * 1024  # what one sandbox's journal may hold, its oldest entries dropped first
JOURNAL_ENTRY_KEEP = 4 * 1024  # bytes of headers, and of each body, a journal entry keeps (the rest noted as cut)
JSON_MAX_DEPTH = 64  # arrays and objects nested in a request body: 400 past it (web/validation.py)
PATTERN_MAX_LENGTH = 500  # characters of a path pattern (?path=, a fault rule's path); as control-plane.yaml says
STREAM_FROM_BYTES = 1024 * 1024  # an answer larger is sent from a file, read as the client reads (serving/spool.py)
SPOOL_MAX_BYTES = 256 * 1024 * 1024  # the folder of those files, under $TMPDIR; past it, from memory
# GET answers the server's front keeps to give again while the store is unchanged (serving/reuse.py):
# all of them, and one at most (a customer is about 1 KB, a list page of 100 about 80 KB)
REUSE_MAX_BYTES = 32 * 1024 * 1024
REUSE_LARGEST = 256 * 1024
ANY_ORIGIN = "*"  # in CORS_ORIGINS: a browser page from any origin may call
SEED_UNTIL = date(2024, 11, 30)  # the month of the docs' samples
