"""The figures on docs/speed.md and docs/contract.md are the bench's last run's
(bench/figures.json), none copied by hand: each block is what bench/figures.py renders
from that file."""

import copy
import json

from bench import figures


def test_every_figure_block_on_the_pages_is_rendered_from_the_bench_figures():
    for path in figures.PAGES:
        page = path.read_text()
        assert figures.rewrite(page, figures.load()) == page, f"{path} edited by hand? `python bench/figures.py`"


def test_the_pages_have_a_block_for_every_part_the_bench_records():
    on_pages = {m[2] for path in figures.PAGES for m in figures.BLOCK.finditer(path.read_text())}
    assert on_pages == set(figures.RENDER)
    assert set(figures.load()) <= on_pages


def test_a_new_run_changes_its_block_and_nothing_else():
    page, before = figures.PAGE.read_text(), figures.load()
    after = copy.deepcopy(before)
    after["throughput"]["routes"]["GET /api/v3/clients/779"]["mock"]["rps"] = 98_765.4
    rewritten = figures.rewrite(page, after)
    assert "| 98,765 |" in rewritten and "| 98,765 |" not in page
    assert figures.BLOCK.sub("", rewritten) == figures.BLOCK.sub("", page)
    assert len(list(figures.BLOCK.finditer(rewritten))) == len(list(figures.BLOCK.finditer(page)))


def test_a_part_run_alone_keeps_the_other_parts_figures(tmp_path, monkeypatch):
    page, kept = tmp_path / "speed.md", tmp_path / "figures.json"
    page.write_text(figures.PAGE.read_text())
    kept.write_text(figures.FIGURES.read_text())
    monkeypatch.setattr(figures, "PAGE", page)
    monkeypatch.setattr(figures, "PAGES", [page])
    monkeypatch.setattr(figures, "FIGURES", kept)
    earlier = figures.load()
    availability = {"seconds": 5, "rows": [{"beside": "nothing", "target": None, "rps": 1.0, "p50": 2.0, "p99": 3.0}]}
    figures.record({"availability": availability})
    now = json.loads(kept.read_text())
    assert now["availability"] == availability
    assert {k: v for k, v in now.items() if k != "availability"} == {
        k: v for k, v in earlier.items() if k != "availability"
    }
    assert "| nothing | 1 | 2.00 | 3.00 |  |" in page.read_text()


def test_the_peers_block_compares_only_rows_run_without_other_load():
    def row(name, rps, other=0.02):
        return {"name": name, "rps": rps, "p50": 1.0, "p99": 5.0, "ready_s": 1.0, "rss": 90.0, "other": other,
                "settled": True, "answer": "same JSON"}  # fmt: skip

    run = {"date": "2026-12-07", "machine": "2 cores", "seconds": 5}
    rows = [row("mockserver, defaults", 9_000), row("WireMock 3.13.2", 6_000), row("Prism 5.14.2", 20_000, other=0.5)]
    text = figures.render("peers", {"peers": {**run, "rows": rows}})
    assert "| Prism 5.14.2 | 20,000 |" in text and "under load (0.50 cores), not compared" in text
    assert "fastest peer (WireMock 3.13.2): 1.50 × (target 1.5 ×: met)" in text
    slower = figures.render("peers", {"peers": {**run, "rows": [rows[0], row("WireMock 3.13.2", 7_000)]}})
    assert "1.29 × (target 1.5 ×: **missed**)" in slower
