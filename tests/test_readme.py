"""The README's examples and operations table, held to what the server does."""

import io
import json
import re
import shlex
from pathlib import Path

import pytest

from mockserver.web.spec import load_spec
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def curl_examples():
    """(curl command, the JSON block after it) for each example in the README."""
    pattern = re.compile(r"```sh\n(curl .*?)\n```\s*```json\n(.*?)\n```", re.S)
    return [(cmd.replace("\\\n", " "), json.loads(answer)) for cmd, answer in pattern.findall(README)]


EXAMPLES = curl_examples()


def test_readme_has_its_examples():
    assert len(EXAMPLES) == 10


@pytest.mark.parametrize(
    ("command", "expected"),
    EXAMPLES,
    ids=[
        "get-customer",
        "create-error",
        "import",
        "report",
        "statement",
        "income-list",
        "income-error",
        "clock",
        "ledger",
        "prefer",
    ],
)
def test_readme_example_answers_as_shown(client, command, expected):
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
    assert answer.json == expected


def test_operations_table_matches_spec():
    rows = re.findall(r"^\| (GET|POST|PUT|DELETE) \| (\S+) \| (\S+) \|$", README, re.M)
    assert {(method, path): op_id for method, path, op_id in rows} == {
        (op.method, op.path): op.operation_id for op in load_spec().operations
    }
