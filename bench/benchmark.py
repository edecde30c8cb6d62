"""Benchmarks: prints figures, asserts nothing (a timed unit test would only be flaky).

    .venv/bin/python bench/benchmark.py          # or: make bench

Each figure comes from this run, on this machine; ratios compare runs made here, now.

- import: a customer sheet of 1,000 and of 10,000 rows POSTed to /api/clients-import,
  through the whole app (multipart parsing, spec validation, openpyxl, marshmallow, the
  store's one atomic write to disk). Time is the best of a few runs; peak memory is the
  Python heap's high-water mark during one import (tracemalloc, on a separate run since
  it slows everything down), and the process's peak RSS.
- export: the same 10,000 customers (and the fixtures') as .xlsx and as CSV.
"""

import gc
import io
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver import create_app  # noqa: E402
from mockserver.resources import seeded_business  # noqa: E402
from mockserver.schemas.customer_sheet import COLUMNS  # noqa: E402
from mockserver.store import STORE  # noqa: E402

AUTH = {"Authorization": "Bearer bench"}
RUNS = 3


def customer_sheet(rows: int) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    sheet.append(list(COLUMNS))
    for i in range(rows):
        sheet.append(
            [
                f"Customer {i:05d} Trading Ltd",
                f"+233 24 {i % 1000:03d} {i % 10000:04d}",
                f"accounts{i}@customer{i}.example.com",
                f"{i % 300 + 1} Ring Road, Accra",
                round(i * 13.37 % 50000, 2),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_once(data: bytes) -> tuple[float, object]:
    """Seconds for one import into a fresh store on disk; the app, to look at after."""
    folder = tempfile.mkdtemp(prefix="mockserver-bench-")
    app = create_app({"DB_PATH": Path(folder) / "db.json", "TESTING": True})
    client = app.test_client()
    form = {"customers": (io.BytesIO(data), "customers.xlsx"), "category_id": "1"}
    gc.collect()
    start = time.perf_counter()
    answer = client.post("/api/clients-import", data=form, headers=AUTH)
    elapsed = time.perf_counter() - start
    if answer.status_code != 200:
        raise SystemExit(f"import failed: {answer.status_code} {answer.get_json()}")
    return elapsed, app


def close(app) -> None:
    app.extensions[STORE].close()


def bench_import(rows: int) -> dict:
    data = customer_sheet(rows)
    times = []
    for _ in range(RUNS):
        elapsed, app = import_once(data)
        times.append(elapsed)
        store_bytes = app.extensions[STORE].path.stat().st_size
        close(app)
    tracemalloc.start()
    _, app = import_once(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    close(app)
    return {
        "rows": rows,
        "sheet_bytes": len(data),
        "best_s": min(times),
        "median_s": statistics.median(times),
        "heap_peak_mb": peak / 1e6,
        "store_bytes": store_bytes,
    }


def bench_export(rows: int) -> list[dict]:
    _, app = import_once(customer_sheet(rows))
    client = app.test_client()
    path = f"/api/v3/clients/clients-print/{seeded_business()['encrypted_id']}"
    found = []
    for fmt in ("xlsx", "csv"):
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            answer = client.get(f"{path}?format={fmt}", headers=AUTH)
            times.append(time.perf_counter() - start)
            assert answer.status_code == 200
        found.append(
            {
                "format": fmt,
                "customers": len(app.extensions[STORE].all("customers")),
                "best_s": min(times),
                "bytes": len(answer.data),
            }
        )
    close(app)
    return found


def main() -> None:
    print(f"python {sys.version.split()[0]}, openpyxl {openpyxl.__version__}, best of {RUNS}\n")
    print("import (POST /api/clients-import, fresh store on disk each time)")
    print(f"{'rows':>7} {'sheet':>9} {'best':>8} {'median':>8} {'rows/s':>8} {'heap peak':>10} {'store':>9}")
    results = [bench_import(rows) for rows in (1_000, 10_000)]
    for r in results:
        print(
            f"{r['rows']:>7,} {r['sheet_bytes'] / 1e3:>7.0f}KB {r['best_s']:>7.2f}s {r['median_s']:>7.2f}s "
            f"{r['rows'] / r['best_s']:>8,.0f} {r['heap_peak_mb']:>8.1f}MB {r['store_bytes'] / 1e6:>7.1f}MB"
        )
    small, large = results
    print(
        f"10x the rows took {large['best_s'] / small['best_s']:.1f}x the time "
        f"and {large['heap_peak_mb'] / small['heap_peak_mb']:.1f}x the heap"
    )
    print(f"process peak RSS so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB\n")

    print("export (GET /api/v3/clients/clients-print/{bid})")
    for r in bench_export(10_000):
        print(f"{r['format']:>5}: {r['customers']:,} customers in {r['best_s']:.2f}s, {r['bytes'] / 1e3:,.0f} KB")


if __name__ == "__main__":
    main()
