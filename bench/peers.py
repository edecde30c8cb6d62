"""mockserver against its peers, every one installed, started and loaded in this one run.

    make bench-peers      # or: .venv/bin/python bench/peers.py [--quick] [--no-scale] [--mockoon]

No peer's figure is written down anywhere: a figure measured on another day, on another
machine or under other load says nothing about this run. So each peer is installed from its
registry (npm; cached in .bench-cache/, which git ignores) and measured here beside
mockserver, one server after another:

- mockserver on its defaults (`serve --db <a fresh store> --port P`: a line per request
  and the request journal on, as a user runs it), and tuned (`--quiet --journal-size 0`);
- WireMock (the standalone jar its npm package `wiremock` ships, on this machine's Java),
  with a stub answering mockserver's own body, and no request journal (its docs' advice
  for load);
- Prism (`@stoplight/prism-cli`, `mock` on openapi.yaml, errors-only log), answering the
  spec's example;
- json-server 0.17, on a db.json holding mockserver's body, routed to the same path;
- with --mockoon, Mockoon's CLI on an environment answering mockserver's body.

Every server answers GET /api/v3/clients/779 with `Authorization: Bearer bench`. Each is
warmed by 5-s wrk windows (2 threads, 16 connections) until two windows running are within
5% of each other (at most 12); the settled window is reported. Beside each window the CPU
that neither the server's processes, nor wrk, nor this script used is counted from
/proc: a row with more than a tenth of a core of such other load is marked, and not
compared. Then start-up from a lone 100,000-customer store (`mockserver seed`, its
db.json copied without the cache files beside it) against json-server starting on its
own db.json of the same 100,000 customers, each started three times and the middle time
kept.

It asserts nothing; it prints figures and whether the targets are met.
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bench import figures
from mockserver.state.storage.snapshot import CRC, GENERATION, KEPT

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-cache"
ROUTE = "/api/v3/clients/779"
# An answer that needs the whole store (every customer's balance): a big store opened early
# gives it once it has loaded behind the first answers (state/storage/early.py).
WHOLE = "/api/v3/clients/summary"
LONE = "mockserver, lone db.json"
UNINDEXED = "mockserver, the same without its index"
AUTH = "Bearer bench"
# Versions, not figures: what is installed. Prism 5.14.2 is the last that runs on Node 20
# (5.15 asks for Node 24); json-server 0.17 is the last stable line (1.0 is still beta).
NPM_PEERS = {"wiremock": "3.13.2", "@stoplight/prism-cli": "5.14.2", "json-server": "0.17.4"}
MOCKOON = {"@mockoon/cli": "9.9.0"}  # with --mockoon
SETTLE = 0.05  # two windows running within this of each other
LOADED = figures.LOADED  # other CPU, in cores, above which a row is not compared
# Starts of each server on the big store, the middle time kept: on one quiet machine the
# same lone db.json's first 200 took 6.0 s and 8.5 s in two starts back to back.
START_TRIES = 3
TICK = os.sysconf("SC_CLK_TCK")


def slug(name: str) -> str:
    return re.sub(r"\W+", "-", name).strip("-")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- installing ---------------------------------------------------------------------------


def ensure_wrk() -> str:
    """wrk, from Debian's package: installed here when missing and this is root with apt-get."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get update && apt-get install -y wrk", flush=True)
        subprocess.run(["apt-get", "update"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench/peers.py needs wrk, the load generator: sudo apt-get install wrk")
    return found


def ensure_npm_peers(wanted: dict[str, str]) -> Path | None:
    """node_modules holding the pinned peers, installed by npm into .bench-cache/npm once."""
    if not (shutil.which("node") and shutil.which("npm")):
        print("no node/npm here: WireMock's jar, Prism and json-server come from npm; skipping them", flush=True)
        return None
    folder = CACHE / "npm"
    modules = folder / "node_modules"

    def installed(name: str) -> str | None:
        try:
            return json.loads((modules / name / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            return None

    if all(installed(name) == version for name, version in wanted.items()):
        return modules
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(
        json.dumps({"private": True, "description": "bench/peers.py's peers", "dependencies": wanted}, indent=2)
    )
    print(f"installing {', '.join(f'{n}@{v}' for n, v in wanted.items())} into {folder} ...", flush=True)
    start = time.perf_counter()
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder, check=True, stdout=sys.stderr
    )
    print(f"  installed in {time.perf_counter() - start:.0f} s", flush=True)
    return modules


# --- /proc ---------------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (children of every thread, as granian's worker is)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu(pid: int) -> float:
    """CPU seconds the process tree has used (user + system, every thread)."""
    ticks = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / TICK


def tree_mb(pid: int, key: str = "VmRSS") -> float:
    total = 0
    for p in tree(pid):
        try:
            match = re.search(rf"^{key}:\s+(\d+)", Path(f"/proc/{p}/status").read_text(), re.M)
        except OSError:
            continue
        total += int(match.group(1)) if match else 0
    return total / 1024


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores; steal counts: it is taken)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / TICK


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class OtherLoad:
    """The CPU used, between start and stop, by neither `pid`'s tree, this script, nor `spent`
    (wrk's rusage): in cores, averaged over the wall time."""

    def __init__(self, pid: int):
        self.pid = pid
        self.wall, self.busy, self.server, self.own = time.monotonic(), machine_busy(), tree_cpu(pid), own_cpu()

    def stop(self, spent: float = 0.0) -> tuple[float, float]:
        """(other cores, server cores)."""
        wall = time.monotonic() - self.wall
        server = tree_cpu(self.pid) - self.server
        other = machine_busy() - self.busy - server - (own_cpu() - self.own) - spent
        return max(other, 0.0) / wall, server / wall


# --- servers -------------------------------------------------------------------------------


def get(port: int, timeout: float = 2.0, path: str = ROUTE) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": AUTH})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Server:
    """A process group answering ROUTE on `port`; `ready_s` is from the start to its first 200."""

    def __init__(self, name: str, argv: list[str], port: int, cwd: Path, timeout: float = 180):
        self.name, self.port = name, port
        self.log = open(cwd / f"{slug(name)}.log", "wb")  # noqa: SIM115 (closed in stop)
        # the files it is given (a store copied a moment ago) on disk first: their writeback
        # was the machine's other load during a start, and marked the row as taken under load
        os.sync()
        self.started = start = time.perf_counter()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        load = OtherLoad(self.proc.pid)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = Path(self.log.name).read_bytes()[-2000:].decode(errors="replace")
                raise RuntimeError(f"{name} did not answer {ROUTE} with 200:\n{tail}")
            try:
                status, self.body = get(port)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.01)
        self.ready_s = time.perf_counter() - start
        self.ready_other, _ = load.stop()

    def rss_mb(self) -> float:
        return tree_mb(self.proc.pid)

    def loaded_s(self) -> float:
        """From the start to its first 200 on WHOLE (asked once it answers ROUTE)."""
        status, _ = get(self.port, timeout=300, path=WHOLE)
        if status != 200:
            raise RuntimeError(f"{self.name} answered {WHOLE} with {status}")
        return time.perf_counter() - self.started

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            self.proc.wait()
        self.log.close()


def mockserver(name: str, db: Path, *extra: str) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "mockserver", "serve", "--db", str(db), "--port", str(port), *extra]
    return Server(name, argv, port, db.parent)


def wiremock(modules: Path, folder: Path, body: bytes) -> Server:
    jar = next((modules / "wiremock").rglob("wiremock-standalone-*.jar"))
    (folder / "mappings").mkdir(parents=True)
    stub = {
        "request": {"method": "GET", "url": ROUTE, "headers": {"Authorization": {"equalTo": AUTH}}},
        "response": {"status": 200, "headers": {"Content-Type": "application/json"}, "body": body.decode()},
    }
    (folder / "mappings" / "779.json").write_text(json.dumps(stub))
    port = free_port()
    argv = ["java", "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1"]
    argv += ["--root-dir", str(folder), "--no-request-journal", "--disable-banner"]
    return Server(f"WireMock {NPM_PEERS['wiremock']}", argv, port, folder)


def prism(modules: Path, folder: Path) -> Server:
    folder.mkdir(parents=True)
    port = free_port()
    argv = ["node", str(modules / ".bin" / "prism"), "mock", str(ROOT / "openapi.yaml")]
    argv += ["--port", str(port), "--host", "127.0.0.1", "--verboseLevel", "error"]
    return Server(f"Prism {NPM_PEERS['@stoplight/prism-cli']}", argv, port, folder)


def json_server(modules: Path, folder: Path, clients: list[dict], timeout: float = 180) -> Server:
    """json-server on {"clients": [...]}, with /api/v3/* routed to /*: GET /api/v3/clients/779
    is its /clients/779, the record whose id is 779."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "db.json").write_text(json.dumps({"clients": clients}))
    (folder / "routes.json").write_text(json.dumps({"/api/v3/*": "/$1"}))
    port = free_port()
    argv = ["node", str(modules / ".bin" / "json-server"), "--port", str(port), "--host", "127.0.0.1"]
    argv += ["--routes", "routes.json", "--quiet", "db.json"]
    return Server(f"json-server {NPM_PEERS['json-server']}", argv, port, folder, timeout)


def mockoon(modules: Path, folder: Path, body: bytes) -> Server:
    """Mockoon's CLI on an environment of one route answering mockserver's body (templating
    off); --repair fills in the fields this leaves out. It logs each request, as it does by default."""
    folder.mkdir(parents=True)
    ids = iter(f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 4))
    response = {"uuid": next(ids), "statusCode": 200, "body": body.decode(), "default": True}
    response |= {"headers": [{"key": "Content-Type", "value": "application/json"}], "disableTemplating": True}
    route = {"uuid": next(ids), "type": "http", "method": "get", "endpoint": ROUTE.lstrip("/")}
    environment = {"uuid": next(ids), "name": "bench", "port": 3000, "routes": [{**route, "responses": [response]}]}
    (folder / "environment.json").write_text(json.dumps(environment))
    port = free_port()
    argv = ["node", str(modules / ".bin" / "mockoon-cli"), "start", "--data", "environment.json", "--repair"]
    argv += ["--port", str(port), "--hostname", "127.0.0.1", "--disable-log-to-file"]
    return Server(f"Mockoon CLI {MOCKOON['@mockoon/cli']}", argv, port, folder)


# --- load ------------------------------------------------------------------------------------


@dataclass
class Window:
    rps: float
    p50: float
    p99: float
    errors: str
    other: float  # cores used by neither the server, wrk nor this script
    server_cpu: float  # cores the server's processes used

    @property
    def loaded(self) -> bool:
        return self.other > LOADED


@dataclass
class Row:
    name: str
    body: str  # how its answer compares with mockserver's
    ready_s: float
    ready_other: float
    windows: list[Window] = field(default_factory=list)
    pick: int = -1  # the window reported
    settled: bool = False
    rss: float = 0.0
    peak: float = 0.0

    @property
    def last(self) -> Window:
        return self.windows[self.pick]

    @property
    def compared(self) -> bool:
        return not self.last.loaded


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def window(wrk: str, server: Server, seconds: int) -> Window:
    argv = [wrk, "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"Authorization: {AUTH}"]
    load = OtherLoad(server.proc.pid)
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([*argv, f"http://127.0.0.1:{server.port}{ROUTE}"], stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
        other, server_cpu = load.stop(usage.ru_utime + usage.ru_stime)
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0 or "Requests/sec" not in text:
        raise RuntimeError(f"wrk failed on {server.name}:\n{text}")
    errors = []
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors.append(f"{match.group(1)} non-2xx")
    if match := re.search(r"Socket errors: (.*)", text):
        errors.append(f"socket errors: {match.group(1)}")
    return Window(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        p50=_ms(re.search(r"50%\s+([\d.]+\w+)", text).group(1)),
        p99=_ms(re.search(r"99%\s+([\d.]+\w+)", text).group(1)),
        errors="; ".join(errors),
        other=other,
        server_cpu=server_cpu,
    )


def measure(wrk: str, server: Server, body: str, seconds: int, cap: int) -> Row:
    """Windows until one is within SETTLE of the one before and was taken without other
    load; at most `cap`. Reported: the last such window; failing that, the last settled one
    (under load); failing that, the last."""
    row = Row(server.name, body, server.ready_s, server.ready_other)
    settled: list[int] = []
    while len(row.windows) < cap:
        row.windows.append(window(wrk, server, seconds))
        if len(row.windows) >= 2:
            before, now = row.windows[-2].rps, row.windows[-1].rps
            if abs(now - before) <= SETTLE * max(now, before):
                settled.append(len(row.windows) - 1)
                if not row.last.loaded:
                    break
    clean = [i for i in settled if not row.windows[i].loaded]
    row.settled = bool(settled)
    row.pick = clean[-1] if clean else settled[-1] if settled else len(row.windows) - 1
    row.rss, row.peak = server.rss_mb(), tree_mb(server.proc.pid, "VmHWM")
    trail = ", ".join(
        f"{'[' if i == row.pick else ''}{w.rps:,.0f}{'*' if w.loaded else ''}{']' if i == row.pick else ''}"
        for i, w in enumerate(row.windows)
    )
    print(f"  {row.name}: {trail}{'' if row.settled else ' (did not settle)'}", flush=True)
    return row


def same_json(a: bytes, b: bytes) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


# --- the run ---------------------------------------------------------------------------------


def peers_run(folder: Path, wrk: str, modules: Path | None, seconds: int, cap: int, with_mockoon: bool) -> list[Row]:
    fresh = folder / "fresh" / "db.json"
    subprocess.run(
        [sys.executable, "-m", "mockserver", "reset", "--db", str(fresh)], check=True, stdout=subprocess.DEVNULL
    )
    rows: list[Row] = []
    reference = b""

    def run(start, describe) -> None:
        """One row; a server that does not start, or that wrk cannot load, is skipped, said why."""
        try:
            server = start()
        except (RuntimeError, OSError, StopIteration) as e:
            print(f"  skipped: {e}", flush=True)
            return
        try:
            rows.append(measure(wrk, server, describe(server.body), seconds, cap))
        except RuntimeError as e:
            print(f"  skipped: {e}", flush=True)
        finally:
            server.stop()

    for name, extra in (
        ("mockserver, defaults", ()),
        ("mockserver --quiet --journal-size 0", ("--quiet", "--journal-size", "0")),
    ):
        db = folder / slug(name) / "db.json"
        db.parent.mkdir()
        shutil.copyfile(fresh, db)  # the store alone: no journal, cache or lock beside it

        def describe(body: bytes) -> str:
            nonlocal reference
            reference = reference or body
            return "reference" if body is reference else ("same JSON" if same_json(body, reference) else "DIFFERENT")

        run(lambda db=db, name=name, extra=extra: mockserver(name, db, *extra), describe)
    if not reference:
        raise SystemExit("mockserver did not start; nothing to give the peers")
    if modules is None:
        return rows

    def compared(body: bytes) -> str:
        return "same JSON" if same_json(body, reference) else "DIFFERENT"

    if shutil.which("java"):
        run(lambda: wiremock(modules, folder / "wiremock", reference), compared)
    else:
        print("  WireMock skipped: no java here (apt-get install default-jre-headless)", flush=True)
    run(lambda: prism(modules, folder / "prism"), lambda body: "spec example")
    run(lambda: json_server(modules, folder / "json-server", [json.loads(reference)]), compared)
    if with_mockoon:
        run(lambda: mockoon(modules, folder / "mockoon", reference), compared)
    return rows


def verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def print_rows(rows: list[Row], seconds: int, cap: int) -> None:
    print(
        f"\nGET {ROUTE}, wrk -t2 -c16 --latency, {seconds}-s windows until two running are within "
        f"{SETTLE:.0%} (at most {cap}); the settled window, RSS after it.\n'other': cores used by neither the "
        f"server, wrk nor this script; above {LOADED:.2f}, the row is under load and not compared. 'us/req': the "
        "server's CPU per answer (srv CPU / req/s), which other load disturbs less than req/s."
    )
    head = f"  {'server':<37}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'start s':>9}{'RSS MB':>8}{'peak':>7}"
    print(head + f"{'srv CPU':>8}{'us/req':>7}{'other':>7}{'win':>5}  answer, notes")
    for r in rows:
        w = r.last
        notes = [r.body]
        if not r.settled:
            notes.append("did not settle")
        if w.loaded:
            notes.append("UNDER LOAD, not compared")
        if r.ready_other > LOADED:
            notes.append(f"start under load ({r.ready_other:.2f})")
        if w.errors:
            notes.append(w.errors)
        print(
            f"  {r.name:<37}{w.rps:>8,.0f}{w.p50:>8.2f}{w.p99:>8.2f}{r.ready_s:>9.2f}{r.rss:>8,.0f}{r.peak:>7,.0f}"
            f"{w.server_cpu:>8.2f}{w.server_cpu / w.rps * 1e6:>7,.0f}{w.other:>7.2f}{len(r.windows):>5}  "
            f"{', '.join(notes)}"
        )


def print_targets(rows: list[Row]) -> None:
    """The issue's targets for mockserver on its defaults, against the fastest peer of this run."""
    mock = next((r for r in rows if r.name == "mockserver, defaults"), None)
    tuned = next((r for r in rows if r.name.startswith("mockserver --quiet")), None)
    peers = [r for r in rows if not r.name.startswith("mockserver")]
    print("  targets (mockserver on its defaults):")
    if mock is None:
        print("    mockserver did not run")
        return
    if peers:
        fair = [r for r in peers if r.compared]
        fastest = max(fair or peers, key=lambda r: r.last.rps)
        left_out = [r.name for r in peers if not r.compared]
        aside = f" (under load, not compared: {', '.join(left_out)})" if left_out else ""
        which = "fastest peer" if fair else "fastest peer (all under load)"
        print(f"    {which}: {fastest.name}, {fastest.last.rps:,.0f} req/s{aside}")
        ratio = mock.last.rps / fastest.last.rps
        figures = f"{mock.last.rps:,.0f} / {fastest.last.rps:,.0f} = {ratio:.2f}x"
        if fair and mock.compared:
            print(f"    defaults >= 1.5x the fastest peer: {figures} -> {verdict(ratio >= 1.5)}")
        else:
            print(f"    defaults >= 1.5x the fastest peer: {figures}; under load, not compared")
        if tuned is not None:
            state = "" if tuned.compared and fair else "; under load, not compared"
            print(f"    (--quiet --journal-size 0: {tuned.last.rps / fastest.last.rps:.2f}x the fastest peer{state})")
    else:
        print("    no peer ran: nothing to compare with")
    state = "" if mock.compared else "; under load, not compared"
    print(f"    p99 < 20 ms: {mock.last.p99:.2f} ms -> {verdict(mock.last.p99 < 20)}{state}")


def scale_run(folder: Path, modules: Path | None, customers: int) -> dict:
    """Start-up on a big store: mockserver from its db.json alone, against json-server on
    its own db.json of the same customers."""
    print(f"\nStart-up to the first 200 on {ROUTE} with {customers:,} customers", flush=True)
    seeded = folder / "seeded" / "db.json"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mockserver", "seed", "--db", str(seeded), "--quiet"]
        + ["--customers", str(customers), "--income", str(customers)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  mockserver seed --customers {customers:,} --income {customers:,}: {time.perf_counter() - start:.0f} s")
    lone = folder / "lone" / "db.json"
    tries: dict[str, list[tuple]] = {}
    for _ in range(START_TRIES):
        shutil.rmtree(lone.parent, ignore_errors=True)
        lone.parent.mkdir()
        unindexed = lone.with_name("unindexed.json")
        without_index(seeded, unindexed)
        shutil.copyfile(seeded, lone)  # no db.json.cache (nor anything else) beside it
        for name, db in ((LONE, lone), ("mockserver, again (what its stop left)", lone), (UNINDEXED, unindexed)):
            server = mockserver(name, db)
            first = server.rss_mb()
            loaded = server.loaded_s()
            time.sleep(1)  # its heap settled, as a user's server is a second after
            tries.setdefault(name, []).append(
                (name, db.stat().st_size, server.ready_s, server.ready_other, server.rss_mb(), loaded, first)
            )
            server.stop()
    if modules is not None:
        tables = json.loads(seeded.read_bytes())
        clients = [{"id": int(key), **record} for key, record in tables["customers"].items()]
        del tables
        try:
            for n in range(START_TRIES):
                server = json_server(modules, folder / f"json-server-big-{n}", clients)
                size = (folder / f"json-server-big-{n}" / "db.json").stat().st_size
                loaded = server.ready_s  # it answers nothing before it has read its whole file
                rss = server.rss_mb()
                row = (f"{server.name}, its db.json", size, server.ready_s, server.ready_other, rss, loaded, rss)
                tries.setdefault(row[0], []).append(row)
                server.stop()
        except (RuntimeError, OSError) as e:
            print(f"  json-server skipped: {e}", flush=True)
        del clients
    results, rss_seen = [], {}
    for name, rows in tries.items():
        times = ", ".join(f"{row[2]:.2f}" for row in rows)
        rss_seen[name] = [row[4] for row in rows]
        rss = ", ".join(f"{mb:,.0f}" for mb in rss_seen[name])
        print(f"  {name}: first 200 in {times} s, RSS {rss} MB; the middle time is kept", flush=True)
        results.append(sorted(rows, key=lambda row: row[2])[len(rows) // 2])
    print(f"  {'':<45}{'store MB':>9}{'first 200 s':>12}{'loaded s':>9}{'RSS MB':>8}{'first':>7}{'other':>7}")
    for name, size, ready, other, rss, loaded, first in results:
        mark = "  UNDER LOAD, not compared" if other > LOADED else ""
        figures_ = f"{size / 1e6:>9,.0f}{ready:>12.2f}{loaded:>9.2f}{rss:>8,.0f}{first:>7,.0f}{other:>7.2f}"
        print(f"  {name:<45}{figures_}{mark}")
    print(
        f"  (loaded: to the first 200 on {WHOLE}, which needs the whole store; RSS a second after it, 'first' at the "
        "first 200. mockserver's store holds the customers' ledgers and Summit's income too; json-server's only "
        "the customers, so its answer has no balance)"
    )
    recorded = [
        {"name": name, "mb": size / 1e6, "ready_s": ready, "loaded_s": loaded, "rss": rss, "rss_first": first}
        | {"other": other, "rss_seen": rss_seen[name]}
        for name, size, ready, other, rss, loaded, first in results
    ]
    named = {row[0]: row for row in results}
    peer = next((row for name, row in named.items() if name.startswith("json-server")), None)
    if peer is not None:
        mock = named[LONE]
        busy = max(mock[3], peer[3]) > LOADED
        print(
            f"  mockserver from its lone db.json / json-server: {mock[2]:.2f} / {peer[2]:.2f} s "
            f"= {mock[2] / peer[2]:.2f}x" + (" (under load, not compared)" if busy else "")
        )
    indexed, whole = named[LONE][4], max(rss_seen[UNINDEXED])
    print(
        f"  RSS once loaded, with its index / the most of the starts that read it whole first: {indexed:,.0f} / "
        f"{whole:,.0f} MB"
    )
    return {"customers": customers, "rows": recorded}


def without_index(seeded: Path, into: Path) -> None:
    """The store as the version before the index wrote it (no index, no kept figures, the CRC
    of what is left): read whole before the first answer, as every start was."""
    lines = seeded.read_bytes().split(b"\n")
    body, skipping = [], False
    for line in lines[:-2]:  # the index and the last line go
        if line.startswith(b'"' + KEPT.encode()):
            skipping = True
        elif skipping:
            skipping = line != b"},"
        else:
            body.append(line + b"\n")
    generation = json.loads(b"{" + lines[-1])[GENERATION]
    del lines
    crc = zlib.crc32(b"%d" % generation, zlib.crc32(b"".join(body)))
    into.write_bytes(b"".join(body) + b'"%s":%d,"%s":%d}' % (CRC.encode(), crc, GENERATION.encode(), generation))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2-s windows, at most 4, and 10,000 customers")
    parser.add_argument("--no-scale", action="store_true", help="leave out the start-up on the big store")
    parser.add_argument("--customers", type=int, help="customers in the big store (100,000; --quick 10,000)")
    parser.add_argument("--mockoon", action="store_true", help="Mockoon's CLI as a peer too")
    parser.add_argument("--seconds", type=int, help="seconds a wrk window lasts (5; --quick 2)")
    parser.add_argument("--cap", type=int, help="most windows for one server (12; --quick 4)")
    args = parser.parse_args()
    seconds, cap = (2, 4) if args.quick else (5, 12)
    seconds, cap = args.seconds or seconds, max(args.cap or cap, 2)
    customers = args.customers or (10_000 if args.quick else 100_000)
    wrk = ensure_wrk()
    modules = ensure_npm_peers(NPM_PEERS | (MOCKOON if args.mockoon else {}))
    java = (
        subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.split("\n")[0]
        if shutil.which("java")
        else "none"
    )
    node = (
        subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        if shutil.which("node")
        else "none"
    )
    print(f"python {sys.version.split()[0]}, node {node}, java: {java}; {os.cpu_count()} cores", flush=True)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mockserver-peers-") as tmp:
        folder = Path(tmp)
        print("\nwarming each server (req/s per window; * under other load; [the one reported]):", flush=True)
        rows = peers_run(folder, wrk, modules, seconds, cap, args.mockoon)
        print_rows(rows, seconds, cap)
        print_targets(rows)
        startup = None if args.no_scale else scale_run(folder, modules, customers)
    print(f"\n({time.monotonic() - began:.0f} s in all)")
    if not args.quick:  # a try's figures are not the page's
        found = {
            "date": date.today().isoformat(),
            "machine": f"python {sys.version.split()[0]}, node {node}, {java}; {os.cpu_count()} cores",
            "seconds": seconds,
            "rows": [
                {
                    "name": r.name,
                    "rps": r.last.rps,
                    "p50": r.last.p50,
                    "p99": r.last.p99,
                    "ready_s": r.ready_s,
                    "rss": r.rss,
                    "other": r.last.other,
                    "settled": r.settled,
                    "answer": r.body,
                }
                for r in rows
            ],
            **({"startup": startup} if startup else {}),
        }
        figures.record({"peers": found})
        print("figures written to bench/figures.json and the speed page")


if __name__ == "__main__":
    main()
