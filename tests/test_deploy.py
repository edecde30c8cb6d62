"""What the Dockerfile relies on, checked without Docker (there is no engine here): the
files it copies exist, the wheel `pip install .` builds carries the spec, fixtures and
contract settings, and its command is one the CLI takes."""

import json
import re
import subprocess
import sys
import zipfile

from mockserver.cli import build_parser
from tests.conftest import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_the_files_it_copies_exist():
    copied = [src for line in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M) for src in line.split()]
    assert copied and all((ROOT / name).exists() for name in copied), copied


def test_its_command_binds_all_interfaces_inside_and_keeps_the_store_in_the_volume():
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", DOCKERFILE, re.M).group(1))
    command = json.loads(re.search(r"^CMD (.+)$", DOCKERFILE, re.M).group(1))
    assert entrypoint == ["mockserver"]
    args = build_parser().parse_args(command)
    assert (args.command, args.host, args.port, str(args.db)) == ("serve", "0.0.0.0", 8000, "/data/db.json")
    assert re.search(r"^USER mockserver$", DOCKERFILE, re.M), "runs as a non-root user"


def test_the_wheel_carries_spec_fixtures_and_contract_settings(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("mockserver-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("openapi.yaml", "control-plane.yaml", "schemathesis.toml", "fixtures/customers.json"):
        assert f"mockserver/{needed}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mockserver = mockserver.cli:main" in text and "mockserver = mockserver.pytest_plugin" in text
