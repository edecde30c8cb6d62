"""What the Dockerfile relies on, checked without Docker (there is no engine here): the
files it copies exist, the wheel `pip install .` builds carries the spec, fixtures,
contract settings and the dashboard's files, and its command is one the CLI takes."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from mockserver.cli import build_parser
from tests.conftest import ROOT
from tests.patience import patience
from tests.server_process import ServerProcess, free_port
from tests.test_cli import NEW

DOCKERFILE = (ROOT / "Dockerfile").read_text()
DEPLOYMENT_PAGE = (ROOT / "docs" / "deployment.md").read_text()


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


def test_the_wheel_carries_spec_fixtures_contract_settings_and_dashboard(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=patience(300),
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("mockserver-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    dashboard = [f"dashboard/static/{name}" for name in ("index.html", "dashboard.js", "dashboard.css", "icon.svg")]
    for needed in ["openapi.yaml", "control-plane.yaml", "schemathesis.toml", "fixtures/customers.json", *dashboard]:
        assert f"mockserver/{needed}" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "mockserver = mockserver.cli:main" in text and "mockserver = mockserver.pytest_plugin" in text


NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
NGINX_PORTS = ("NGINX_PORT", "MOCKSERVER_PORT_1", "MOCKSERVER_PORT_2")  # what the template takes from the environment
DOCS_ENVSUBST = "envsubst '$NGINX_PORT $MOCKSERVER_PORT_1 $MOCKSERVER_PORT_2'"


def render_nginx(ports: dict[str, int]) -> str:
    """The template filled in as the docs' envsubst fills it: its three ports only, so
    nginx's own $variables stay. With gettext's envsubst where it is installed."""
    text = NGINX_TEMPLATE.read_text()
    env = {name: str(port) for name, port in ports.items()}
    if envsubst := shutil.which("envsubst"):
        names = " ".join(f"${name}" for name in NGINX_PORTS)
        run = subprocess.run([envsubst, names], input=text, env={**os.environ, **env}, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout
    return re.sub(r"\$\{(\w+)\}", lambda m: env[m[1]] if m[1] in NGINX_PORTS else m[0], text)


def test_the_nginx_template_takes_its_ports_from_the_environment():
    text = NGINX_TEMPLATE.read_text()
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(NGINX_PORTS)
    settings = "\n".join(line.split("#")[0] for line in text.splitlines())
    assert not re.search(r"(listen|server)\s+([^\s;]*:)?\d+[\s;]", settings)  # no port written in
    assert DOCS_ENVSUBST in DEPLOYMENT_PAGE and "deploy/nginx.conf.template" in DEPLOYMENT_PAGE
    rendered = render_nginx({"NGINX_PORT": 18080, "MOCKSERVER_PORT_1": 18001, "MOCKSERVER_PORT_2": 18002})
    assert "listen 127.0.0.1:18080;" in rendered and "server 127.0.0.1:18002;" in rendered
    assert "${" not in rendered and "$mock_token" in rendered  # nginx's own variables are left alone


@pytest.fixture
def behind_nginx(tmp_path):
    """deploy/nginx.conf.template with free ports filled in, run by Debian's nginx in front
    of two `serve --isolation token` replicas; yields (nginx's base URL, the two replicas)."""
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        if os.environ.get("MOCKSERVER_REQUIRE_NGINX"):
            pytest.fail("MOCKSERVER_REQUIRE_NGINX is set but nginx is not installed")
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    replica = ("--isolation", "token", "--quiet")
    with (
        ServerProcess("--db", str(tmp_path / "r1" / "db.json"), *replica) as one,
        ServerProcess("--db", str(tmp_path / "r2" / "db.json"), *replica) as two,
    ):
        port = free_port()
        config = render_nginx({"NGINX_PORT": port, "MOCKSERVER_PORT_1": one.port, "MOCKSERVER_PORT_2": two.port})
        (tmp_path / "nginx.conf").write_text(config)
        proc = subprocess.Popen(
            [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + patience(10)
            while True:
                assert proc.poll() is None, f"nginx exited: {proc.stderr.read() if proc.stderr else ''}"
                try:
                    urllib.request.urlopen(base + "/", timeout=patience(1))
                    break
                except OSError:
                    assert time.monotonic() < deadline, "nginx did not answer"
                    time.sleep(0.05)
            yield base, (one, two)
        finally:
            proc.terminate()
            proc.wait(patience(10))
            assert proc.stderr is not None
            proc.stderr.close()


def _through(base, method, path, authorization, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Authorization": authorization})
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=patience(10)) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


SPELLINGS = ["Bearer {}", "bearer {}", "BEARER  {}", "Bearer {}  "]


def test_nginx_keeps_each_token_on_one_replica_whatever_its_spelling(behind_nginx):
    base, replicas = behind_nginx
    tokens = [f"visitor-{i}" for i in range(16)]
    made = {}
    for token in tokens:
        status, customer = _through(base, "POST", "/api/v3/clients", f"Bearer {token}", {**NEW, "business_name": token})
        assert status == 201, customer
        made[token] = customer["id"]
    for token in tokens:
        for spelling in SPELLINGS:
            status, customer = _through(base, "GET", f"/api/v3/clients/{made[token]}", spelling.format(token))
            assert (status, customer.get("business_name")) == (200, token), (token, spelling)
    # both replicas hold sandboxes, and no token has one on both
    held = [
        {
            t
            for t in tokens
            if r.call("GET", "/api/v3/clients", headers={"Authorization": f"Bearer {t}"})[1][-1]["business_name"] == t
        }
        for r in replicas
    ]  # noqa: E501
    assert held[0] and held[1] and not held[0] & held[1] and held[0] | held[1] == set(tokens)


def test_nginx_keeps_tokens_apart_and_resets_only_the_callers_sandbox(behind_nginx):
    base, _ = behind_nginx
    ids = {}
    for token in ("alice", "bob"):
        status, customer = _through(base, "POST", "/api/v3/clients", f"Bearer {token}", {**NEW, "business_name": token})
        assert status == 201
        ids[token] = customer["id"]
    assert ids["alice"] == ids["bob"]  # each sandbox counts from the same fixtures
    assert _through(base, "GET", f"/api/v3/clients/{ids['alice']}", "Bearer alice")[1]["business_name"] == "alice"
    assert _through(base, "POST", "/__mock/reset", "bearer  alice")[0] == 200
    assert _through(base, "GET", f"/api/v3/clients/{ids['alice']}", "Bearer alice")[0] == 404
    assert _through(base, "GET", f"/api/v3/clients/{ids['bob']}", "Bearer bob")[1]["business_name"] == "bob"


def test_nginx_passes_the_port_on_so_advertised_links_work(behind_nginx):
    base, _ = behind_nginx
    status, index = _through(base, "GET", "/", "Bearer any")
    assert status == 200 and index["docs"] == f"{base}/docs"
