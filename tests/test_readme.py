"""The README's and the docs site's examples, held to what the server does.

Every shell example (a block fenced as `sh`) in README.md and docs/*.md is one of:
- `curl`: sent to the app, and answered as the JSON block after it shows (or, with no JSON
  after it, answered without an error);
- `mockserver` commands: run as written against a server process (`--url` pointed at it),
  or, for `mockserver serve ...`, started and asked for a customer;
- `make` targets: each one the Makefile has (`make test` is what runs this file);
- marked in its first line `# not run here...`, saying why: its `mockserver` commands are
  then still parsed by the CLI, so an option that went away shows.
A block that is none of these fails, so a new example cannot go unrun.
"""

import io
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from mockserver.cli import build_parser
from mockserver.web.spec import load_spec
from tests.conftest import ROOT
from tests.server_process import ServerProcess, run_cli

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = "# not run here"
SUBCOMMANDS = set(build_parser().commands)  # type: ignore[attr-defined]


class Block:
    """A fenced block of a page: where it starts, its language and its text."""

    def __init__(self, page: Path, line: int, language: str, text: str):
        self.page, self.line, self.language, self.text = page, line, language, text
        self.answer: object = None  # the JSON block right after a curl, if any

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def commands(self) -> list[str]:
        """The block's commands, continuation lines joined, comments left out."""
        joined = self.text.replace("\\\n", " ")
        return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def blocks(page: Path) -> list[Block]:
    lines, found, i = page.read_text().split("\n"), [], 0
    while i < len(lines):
        fence = re.match(r"^(\s*)```(\w*)\s*$", lines[i])
        if fence:
            indent, start, body = len(fence[1]), i, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i][indent:])
                i += 1
            block = Block(page, start + 1, fence[2], "\n".join(body))
            # a JSON block with nothing but blank lines between it and a curl is its answer
            if block.language == "json" and found and found[-1].language == "sh" and found[-1].end == start - 1:
                found[-1].answer = json.loads(block.text)
            block.end = i  # type: ignore[attr-defined]
            while i + 1 < len(lines) and not lines[i + 1].strip():
                block.end = i + 1  # type: ignore[attr-defined]
                i += 1
            found.append(block)
        i += 1
    return found


ALL = [block for page in PAGES for block in blocks(page)]
SHELL = [b for b in ALL if b.language == "sh"]


def kind(block: Block) -> str | None:
    if block.text.startswith(NOT_RUN):
        return "not run"
    firsts = {command.split()[0] for command in block.commands}
    if firsts == {"curl"} and len(block.commands) == 1:
        return "curl"
    if firsts == {"make"}:
        return "make"
    if firsts == {"mockserver"}:
        serve = [c for c in block.commands if c.split()[1] == "serve"]
        return "serve" if serve == block.commands and len(serve) == 1 else None if serve else "cli"
    return None


def of_kind(name: str) -> list[Block]:
    return [b for b in SHELL if kind(b) == name]


def ids(chosen: list[Block]) -> list[str]:
    return [b.name for b in chosen]


def test_every_block_says_its_language():
    assert [b.name for b in ALL if not b.language] == []


@pytest.mark.parametrize("block", SHELL, ids=ids(SHELL))
def test_every_shell_example_is_run_or_says_why_not(block):
    assert kind(block) is not None, f"{block.name}: not run by this file; mark it '{NOT_RUN}: why'\n{block.text}"


def test_the_readme_has_its_example_and_the_pages_theirs():
    curls = of_kind("curl")
    assert any(b.page == README and b.answer is not None for b in curls)
    assert len([b for b in curls if b.answer is not None]) >= 10
    assert of_kind("cli") and of_kind("serve") and of_kind("make") and of_kind("not run")


@pytest.mark.parametrize("block", of_kind("curl"), ids=ids(of_kind("curl")))
def test_curl_example_answers_as_shown(client, block):
    [command] = block.commands
    words = shlex.split(command)
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    data = next((words[i + 1] for i, w in enumerate(words) if w == "-d"), None)
    form = dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "-F")
    if form:  # -F name=@file uploads the file, as curl does; paths are from the checkout
        data = {
            k: (io.BytesIO((ROOT / v[1:]).read_bytes()), Path(v).name) if v.startswith("@") else v
            for k, v in form.items()
        }
    path = words[-1].removeprefix("http://localhost:8000")
    assert path.startswith("/"), path
    method = next((words[i + 1] for i, w in enumerate(words) if w == "-X"), "POST" if data else "GET")
    answer = client.open(method, path, auth=False, headers=headers, data=data)
    if block.answer is None:
        assert answer.status_code < 400, answer.data[:500]
    else:
        assert answer.json == block.answer


@pytest.mark.parametrize("block", of_kind("cli"), ids=ids(of_kind("cli")))
def test_cli_example_runs_against_a_server(block, tmp_path):
    with ServerProcess("--db", str(tmp_path / "db.json"), "--quiet") as server:
        for command in block.commands:
            words = shlex.split(command)[1:]
            if "--url" in words:
                words[words.index("--url") + 1] = server.base
            else:
                words += ["--url", server.base]
            done = run_cli(*words)
            assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize("block", of_kind("serve"), ids=ids(of_kind("serve")))
def test_serve_example_starts_and_answers(block, tmp_path):
    [command] = block.commands
    with ServerProcess(*shlex.split(command)[2:], "--db", str(tmp_path / "db.json"), "--quiet") as server:
        status, customer = server.call("GET", "/api/v3/clients/779")
    assert status == 200 and customer["id"] == 779


@pytest.mark.parametrize("block", of_kind("make"), ids=ids(of_kind("make")))
def test_make_example_names_targets_the_makefile_has(block):
    targets = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), re.M))
    for command in block.commands:
        target = command.split("#")[0].split()[1]
        assert target in targets, command


@pytest.mark.parametrize("block", of_kind("not run"), ids=ids(of_kind("not run")))
def test_example_not_run_says_why_and_its_commands_parse(block):
    why = block.text.splitlines()[0].removeprefix(NOT_RUN)
    assert why.strip(" :") and why[0] in " :(", "say why it is not run"
    exported = dict(
        pair.split("=", 1) for c in block.commands if c.startswith("export ") for pair in shlex.split(c)[1:]
    )
    for command in block.commands:
        words = [os.path.expandvars(w) if "$" in w else w for w in shlex.split(command.rstrip("& "))]
        words = [re.sub(r"\$(\w+)", lambda m: exported.get(m[1], m[0]), w) for w in words]
        if "mockserver" in words[:-1] and words[words.index("mockserver") + 1] in SUBCOMMANDS:
            args = words[words.index("mockserver") + 1 :]
            try:
                build_parser().parse_args(args)
            except SystemExit as refused:
                raise AssertionError(f"{block.name}: the CLI refuses {command!r}") from refused


def test_operations_table_matches_spec():
    table = (ROOT / "docs" / "operations.md").read_text()
    rows = re.findall(r"^\| (GET|POST|PUT|DELETE) \| (\S+) \| (\S+) \|$", table, re.M)
    assert {(method, path): op_id for method, path, op_id in rows} == {
        (op.method, op.path): op.operation_id for op in load_spec().operations
    }


def slug(heading: str) -> str:
    """The anchor Python-Markdown's toc (MkDocs) and GitHub both give a plain heading."""
    text = re.sub(r"[^\w\s-]", "", heading.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def test_the_readme_is_short_and_its_links_lead_somewhere():
    text = README.read_text()
    assert text.count("\n") <= 250
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"\w+://", target):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), target
        if anchor:
            headings = re.findall(r"^#+ (.+)$", (ROOT / path).read_text(), re.M)
            assert anchor in {slug(h) for h in headings}, target


def test_no_page_points_at_what_a_clone_does_not_have():
    for page in PAGES:
        text = page.read_text()
        assert "../shared" not in text and "/work/" not in text, page
