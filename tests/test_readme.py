"""The README's examples and operations table, held to what the server does."""

import json
import re
import shlex

import pytest

from mockserver.api import PENDING
from mockserver.spec import load_spec
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def curl_examples():
    """(curl command, the JSON block after it) for each example in the README."""
    pattern = re.compile(r"```sh\n(curl .*?)\n```\s*```json\n(.*?)\n```", re.S)
    return [(cmd.replace("\\\n", " "), json.loads(answer)) for cmd, answer in pattern.findall(README)]


EXAMPLES = curl_examples()


def test_readme_has_its_examples():
    assert len(EXAMPLES) == 6


@pytest.mark.parametrize(
    ("command", "expected"),
    EXAMPLES,
    ids=["get-customer", "create-error", "report", "statement", "income-list", "income-error"],
)
def test_readme_example_answers_as_shown(client, command, expected):
    words = shlex.split(command)
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    data = next((words[i + 1] for i, w in enumerate(words) if w == "-d"), None)
    path = words[-1].removeprefix("http://localhost:8000")
    assert path.startswith("/"), path
    answer = client.open("POST" if data else "GET", path, auth=False, headers=headers, data=data)
    assert answer.json == expected


def test_operations_table_matches_spec_and_pending():
    rows = re.findall(r"^\| (GET|POST|PUT|DELETE) \| (\S+) \| (\S+) \| (.+?) \|$", README, re.M)
    table = {(method, path): (op_id, status) for method, path, op_id, status in rows}
    expected = {
        (op.method, op.path): (
            op.operation_id,
            f"pending (#{PENDING[op.operation_id]})" if op.operation_id in PENDING else "served",
        )
        for op in load_spec().operations
    }
    assert table == expected
