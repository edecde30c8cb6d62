"""The bench's figures on the docs site: one run's numbers, never copied by hand.

`make bench` (bench/benchmark.py) records each part's raw figures in bench/figures.json and
rewrites the blocks of docs/speed.md and docs/contract.md that stand between `<!-- bench:NAME -->` and
`<!-- /bench:NAME -->` from them; tests/test_bench_figures.py holds every block to what
render() makes of that file, so a figure edited by hand on the page fails the suite.
A part run alone (`--only`) replaces its own figures and leaves the others' as they were.

    python bench/figures.py   # rewrite the page from bench/figures.json, after editing render()
"""

import json
import re
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "bench" / "figures.json"
PAGE = ROOT / "docs" / "speed.md"
# pages with blocks: the speed page, the contract's (what it catches, how long it takes), and
# the README's speed section (the peers' ratios)
PAGES = [PAGE, ROOT / "docs" / "contract.md", ROOT / "README.md"]
# other CPU, in cores, beside a peers row above which it is not compared (bench/peers.py)
LOADED = 0.10
BLOCK = re.compile(r"(<!-- bench:([\w-]+) -->\n)(.*?)(<!-- /bench:\2 -->)", re.S)

# Operation keys of benchmark.per_record, in the page's order, as a reader names them.
OPERATIONS = {
    "get": "GET a customer",
    "income page": "a page of income",
    "create": "create a customer",
    "update": "update a customer",
    "delete": "delete a customer",
    "transactions": "a customer's transactions",
    "report of one": "the one-customer report",
    "statement": "a statement sent",
    "summary": "the summary",
    "summary of 1": "the summary of one category",
    "categories": "the categories",
}


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def _run(f: dict) -> str:
    python = f", Python {f['python']}" if "python" in f else ""
    said = (
        f"The last full run: {f['date']}{python}, {f['cores']} cores; the tables below are its figures, but "
        "for a part run again alone since (`--only`)."
    )
    return f"{said} Its figures were {f['note']}." if "note" in f else said


def _throughput(f: dict) -> str:
    rows = []
    for name, r in f["routes"].items():
        m, b = r["mock"], r["bare"]
        rows.append(
            [
                f"`{name}`",
                f"{m['rps']:,.0f}",
                f"{m['p50']:.2f}",
                f"{m['p99']:.2f}",
                f"{b['rps']:,.0f}",
                f"{m['rps'] / b['rps']:.0%}",
            ]
        )
    return table(["", "mock req/s", "p50 ms", "p99 ms", "bare Flask req/s", "mock/bare"], rows)


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


def _scale(f: dict) -> str:
    small, big = f["small"], f["big"]
    store = f["store"]
    lines = [
        f"`mockserver seed --customers {f['customers']} --income {f['income']}` made "
        f"{store['customers']:,} customers, {store['ledger']:,} ledger entries and {store['income']:,} income "
        f"entries, {store['mb']:,.0f} MB, against a store of {f['small_customers']:,} customers (and their "
        f"ledgers) and {f['small_income']:,} income entries. p50 of {f['per_op']} requests each, one at a time:",
        "",
    ]
    a, b = _size(f["small_customers"]), _size(f["customers"])
    rows = []
    for key, name in OPERATIONS.items():
        ratio = big[key] / small[key]
        rows.append([name, f"{small[key]:.2f} ms", f"{big[key]:.2f} ms", f"{ratio:.2f} ×", verdict(ratio <= 1.5)])
    lines += [table(["", a, b, f"{b} / {a}", "within 1.5 ×"], rows), ""]
    same = "gives the same file, byte for byte" if f["deterministic"] else "**did not give the same file**"
    lines += [
        table(
            [f"at {b}", "measured", "target"],
            [
                ["`seed`'s time", f"{f['seed_s']:.1f} s", f"60 s: {verdict(f['seed_s'] < 60)}"],
                ["`seed`'s peak memory", f"{f['seed_peak_mb']:,.0f} MB", f"600 MB: {verdict(f['seed_peak_mb'] < 600)}"],
                ["start to the first answer", f"{big['ready_s']:.2f} s", f"2 s: {verdict(big['ready_s'] < 2)}"],
                ["memory after the per-record runs", f"{big['rss']:,.0f} MB", f"300 MB: {verdict(big['rss'] < 300)}"],
                ["memory at its peak", f"{big['peak']:,.0f} MB", f"400 MB: {verdict(big['peak'] < 400)}"],
                ["memory with both whole-table answers kept", f"{big['rss_kept']:,.0f} MB", ""],
            ],
        ),
        "",
        f"`seed` from the same `--seed` {same}.",
    ]
    return "\n".join(lines)


def _whole_table(f: dict) -> str:
    rows = []
    for name, r in f["answers"].items():
        floor = r["orjson_ms"] + r["sent_ms"]
        rate = r["orjson_mb"] / r["orjson_ms"] * 1000
        first, again = (f"{ms / 1000:.2f} s ({r['mb'] / ms * 1000:,.0f} MB/s)" for ms in (r["first_ms"], r["again_ms"]))
        rows.append(
            [
                name,
                f"{r['mb']:.1f} MB",
                f"{r['orjson_ms']:.0f} ms ({rate:,.0f} MB/s)",
                f"{r['sent_ms']:.0f} ms",
                first,
                again,
                f"{r['again_ms'] / floor:.1f} ×",
                f"{r['again_ms'] / r['orjson_ms']:.1f} ×",
            ]
        )
    header = [
        "",
        "size",
        "orjson",
        "sent by bare Flask",
        "first asked",
        "asked again",
        "again / floor",
        "again / orjson",
    ]
    return table(header, rows)


def _import_contract(f: dict) -> str:
    c = f["contract"]
    size = f" ({f['import_kb']:,.0f} KB)" if "import_kb" in f else ""
    return (
        f"A {f['import_rows']:,}-row .xlsx{size} imported in {f['import_s']:.2f} s "
        f"(answered {f['import_status']}); `mockserver contract --seeded` ({c.get('phases', 'all phases')}, "
        f"--max-examples {c['max_examples']}) ran in {c['seconds']:.1f} s, exit {c['exit']}: {c['cases']:,} cases in "
        f"{c['passes']} pass(es), links walked: {c['links']} (target: a default run under 60 s: "
        f"{verdict(c['seconds'] < 60)})."
    )


def _availability(f: dict) -> str:
    rows = []
    for r in f["rows"]:
        goal = f"p99 < {r['target']} ms: {verdict(r['p99'] < r['target'])}" if r["target"] else ""
        rows.append([r["beside"], f"{r['rps']:,.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}", goal])
    return table(["beside", "req/s", "p50 ms", "p99 ms", "target"], rows)


def _hostile_requests(f: dict) -> str:
    rows = [
        [r["beside"], f"{r['rps']:,.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}", verdict(r["p99"] < 100)]
        for r in f["rows"]
    ]
    return table(["beside", "req/s", "p50 ms", "p99 ms", "p99 < 100 ms"], rows)


def _hostile_imports(f: dict) -> str:
    rows = [
        [
            r["sheet"],
            f"{r['mb']:.2f} MB",
            str(r["status"]),
            f"{r['s']:.2f} s",
            f"{r['kb']:,.1f} KB",
            f"+{r['grew_mb']:.0f} MB",
            verdict(r["s"] < 5 and r["grew_mb"] < 200),
        ]
        for r in f["rows"]
    ]
    return table(["sheet", "size", "answer", "in", "answer's size", "server's memory", "5 s, 200 MB"], rows)


def _catches(f: dict) -> str:
    hand, mutants = f["hand"], f["mutation"]
    said = [
        f"the hand-written set (`make mutants`): {hand['caught']} of {hand['of']} caught by the model's phase "
        f"alone ({hand['seconds']:,.0f} s)"
    ]
    if mutants.get("tried"):
        graded = mutants["tried"] - mutants["equivalent"]
        said.append(
            f"cosmic-ray (`make mutation`): of {mutants['sample']} mutants drawn with seed {mutants['seed']}, "
            f"{mutants['killed']} killed and {mutants['survived']} survived ({mutants['incompetent']} broke "
            f"the code itself, {mutants['erred']} ended in an error of the contract and are not counted); "
            f"{mutants['equivalent']} survivors are marked equivalent in `bench/mutation-survivors.md`, so "
            f"{mutants['killed']} of the {graded} others were killed, {mutants['killed'] / max(graded, 1):.0%} "
            f"(target 90%: {verdict(mutants['killed'] >= 0.9 * graded)}; {mutants['unread']} survivors not read yet) "
            f"({mutants['seconds']:,.0f} s)"
        )
    return "\n".join(f"- {line}" for line in said)


def _peers(f: dict) -> str:
    """The same route, data and load generator for each server, one after another in one
    run; a row whose window had other load on the machine is marked and not compared."""
    rows = []
    for r in f["rows"]:
        notes = [r["answer"]] + ([] if r["settled"] else ["did not settle"])
        notes += [f"under load ({r['other']:.2f} cores), not compared"] if r["other"] > LOADED else []
        rows.append(
            [r["name"], f"{r['rps']:,.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}", f"{r['rss']:,.0f}", ", ".join(notes)]
        )
    header = ["server", "req/s", "p50 ms", "p99 ms", "RSS MB", "answer, notes"]
    said = [
        f"Run of {f['date']} ({f['machine']}); wrk -t2 -c16, {f['seconds']}-s windows, each server warmed "
        "until two windows running agree within 5%:",
        "",
        table(header, rows),
    ]
    mock = next((r for r in f["rows"] if r["name"] == "mockserver, defaults"), None)
    peers = [r for r in f["rows"] if not r["name"].startswith("mockserver") and r["other"] <= LOADED]
    if mock and peers:
        fastest = max(peers, key=lambda r: r["rps"])
        ratio = mock["rps"] / fastest["rps"]
        said += [
            "",
            f"Defaults against the fastest peer ({fastest['name']}): {ratio:.2f} × (target 1.5 ×: "
            f"{verdict(ratio >= 1.5 and mock['other'] <= LOADED)}); p99 {mock['p99']:.2f} ms (target 20 ms: "
            f"{verdict(mock['p99'] < 20)}).",
        ]
    if "startup" in f:
        s = f["startup"]
        said += ["", f"Start-up with {s['customers']:,} customers, from the store file alone:", ""]
        said.append(
            table(
                ["server", "store MB", "first answer s", "whole store s", "RSS MB"],
                [
                    [r["name"], f"{r['mb']:,.0f}", f"{r['ready_s']:.2f}", f"{r.get('loaded_s', r['ready_s']):.2f}"]
                    + [f"{r['rss']:,.0f}"]
                    for r in s["rows"]
                ],
            )
        )
        said += [
            "",
            "First answer: GET of one customer by id. Whole store: the first answer that needs every record (the "
            "customer summary); RSS is a second after it.",
        ]
        rows = {r["name"]: r for r in s["rows"]}
        mine = rows.get("mockserver, lone db.json")
        theirs = next((r for name, r in rows.items() if name.startswith("json-server")), None)
        if mine and theirs:
            said += [
                "",
                f"From its lone db.json against json-server: {mine['ready_s'] / theirs['ready_s']:.2f} × (target: no "
                f"slower, {verdict(mine['ready_s'] <= theirs['ready_s'])}). mockserver's store holds the ledgers and "
                "Summit's income too.",
            ]
        before = rows.get("mockserver, the same without its index")
        if mine and before:
            seen = before.get("rss_seen", [before["rss"]])
            said += [
                "",
                f"RSS once loaded: {mine['rss']:,.0f} MB, against {', '.join(f'{mb:,.0f}' for mb in seen)} MB in "
                f"{len(seen)} starts of the same store read whole before the first answer, as every start was before "
                f"the index (target: no higher than those, {verdict(mine['rss'] <= max(seen))}).",
            ]
    return "\n".join(said)


def _peers_summary(f: dict) -> str:
    """The README's few lines: the ratios against the peers, with what they were measured on."""
    rows = {r["name"]: r for r in f["rows"]}
    mock = rows.get("mockserver, defaults")
    peers = [r for r in f["rows"] if not r["name"].startswith("mockserver") and r["other"] <= LOADED]
    said = [
        f"Measured by `make bench-peers` on {f['date']} ({f['machine']}), each server started by the bench, "
        f"loaded by wrk -t2 -c16 after warming until two {f['seconds']}-s windows agree within 5%; a row taken "
        f"beside more than {LOADED:.2f} cores of other load on the machine is not compared:",
        "",
    ]
    if mock and peers:
        fastest = max(peers, key=lambda r: r["rps"])
        said.append(
            f"- GET of one customer by id, default settings: {mock['rps']:,.0f} req/s, "
            f"**{mock['rps'] / fastest['rps']:.2f} ×** the fastest peer ({fastest['name']}, {fastest['rps']:,.0f}), "
            f"p99 {mock['p99']:.2f} ms."
        )
    start = {r["name"]: r for r in f.get("startup", {}).get("rows", [])}
    mine = start.get("mockserver, lone db.json")
    theirs = next((r for name, r in start.items() if name.startswith("json-server")), None)
    if mine and theirs:
        said.append(
            f"- Start-up from a lone `db.json` of {f['startup']['customers']:,} customers ({mine['mb']:,.0f} MB: what "
            f"`mockserver seed --customers {f['startup']['customers']} --income {f['startup']['customers']}` makes, "
            f"ledgers and Summit's income included): first answer in {mine['ready_s']:.2f} s, "
            f"**{mine['ready_s'] / theirs['ready_s']:.2f} ×** json-server's on its own {theirs['mb']:,.0f} MB of the "
            f"same customers ({theirs['ready_s']:.2f} s); the whole store loaded behind it by "
            f"{mine.get('loaded_s', mine['ready_s']):.2f} s, {mine['rss']:,.0f} MB RSS."
        )
    said += ["", "Every row, and the mock's own figures: [Speed and limits](docs/speed.md)."]
    return "\n".join(said)


RENDER: dict[str, Callable[[dict], str]] = {
    "peers": _peers,
    "peers-summary": _peers_summary,
    "catches": _catches,
    "run": _run,
    "throughput": _throughput,
    "scale": _scale,
    "whole-table": _whole_table,
    "import-contract": _import_contract,
    "availability": _availability,
    "hostile-requests": _hostile_requests,
    "hostile-imports": _hostile_imports,
}


PART = {"peers-summary": "peers"}  # a block that renders another block's part


def render(name: str, figures: dict) -> str:
    """A block's Markdown; a part no full run has measured yet says so."""
    part = PART.get(name, name)
    if part not in figures:
        return f"_Not measured yet: `make bench` (or `--only` its part) writes this {name} block._"
    return RENDER[name](figures[part])


def rewrite(page: str, figures: dict) -> str:
    # blank lines around the block: Markdown ends an HTML comment's block only at one
    return BLOCK.sub(lambda m: f"{m[1]}\n{render(m[2], figures)}\n\n{m[4]}", page)


def load() -> dict:
    return json.loads(FIGURES.read_text()) if FIGURES.exists() else {}


def record(parts: dict) -> None:
    """A run's figures into bench/figures.json, merged over the last run's, and onto the page."""
    figures = {**load(), **parts}
    FIGURES.write_text(json.dumps(figures, indent=1) + "\n")
    for page in PAGES:
        page.write_text(rewrite(page.read_text(), figures))


if __name__ == "__main__":
    for page in PAGES:
        page.write_text(rewrite(page.read_text(), load()))
