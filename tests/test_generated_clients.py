"""Clients that nobody on this project wrote, generated from openapi.yaml, used against a
served mock: what a frontend or a Python consumer really builds on the spec."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mockserver import create_app
from mockserver.serving.threaded import serving
from mockserver.web.spec import load_spec
from tests.conftest import ROOT
from tests.patience import patience

SPEC = load_spec(ROOT / "openapi.yaml")


@pytest.fixture(scope="module")
def base_url():
    with serving(create_app({"DB_PATH": None, "VALIDATE_RESPONSES": True})) as url:
        yield url


@pytest.fixture(scope="module")
def python_client(tmp_path_factory):
    """openapi-python-client's package for the spec, in a folder of its own."""
    folder = tmp_path_factory.mktemp("python-client")
    tool = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [str(tool), "generate", "--path", str(ROOT / "openapi.yaml"), "--meta", "none", "--output-path", "client"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=patience(120),
        env={**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ['PATH']}"},  # its ruff post-hook
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # a schema it cannot read drops its endpoints
    return folder


def test_the_python_client_has_every_operation(python_client):
    generated = {path.stem for path in (python_client / "client" / "api").rglob("*.py")}
    wanted = {op.operation_id.replace(".", "_") for op in SPEC.operations}
    assert wanted - generated == set()


def test_the_python_client_works_against_the_mock(python_client, base_url):
    script = textwrap.dedent(
        f"""
        from client import AuthenticatedClient
        from client.api.customers import customers_archive_customer, customers_create_customer
        from client.api.customers import customers_get_customer
        from client.api.income import income_list_income
        from client.models import ArchiveInput, CustomerInput

        api = AuthenticatedClient(base_url={base_url!r}, token="generated")
        abas = customers_get_customer.sync(client=api, id=779)
        assert abas.business_name == "Abas two", abas
        body = CustomerInput(business_name="Typed Ltd", business_address="", business_phone="",
                             business_email="", category_id=abas.category_id)
        made = customers_create_customer.sync_detailed(client=api, body=body)
        assert made.status_code == 201, made.content
        archived = customers_archive_customer.sync(client=api, id=made.parsed.id, body=ArchiveInput(archived=True))
        assert archived.archived is True, archived
        page = income_list_income.sync(client=api, page=1, limit=2)
        assert len(page.data) == page.meta.total == 1 and page.data[0].income.amount == 5000, page
        print("ok", made.parsed.id)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=python_client, capture_output=True, text=True, timeout=patience(60)
    )
    assert result.returncode == 0 and result.stdout.startswith("ok "), result.stdout + result.stderr


@pytest.fixture(scope="module")
def typescript(tmp_path_factory):
    """openapi-typescript's types for the spec and TypeScript's compiler, from npm; the
    tests that need them skip, saying why, where npm cannot reach its registry."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "package.json").write_text(json.dumps({"name": "typed-consumer", "private": True, "type": "module"}))
    installed = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", "openapi-typescript@7", "typescript@5"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=patience(300),
    )
    if installed.returncode != 0:
        pytest.skip(f"npm could not install openapi-typescript and typescript: {installed.stderr.strip()[-300:]}")
    generated = subprocess.run(
        ["npx", "openapi-typescript", str(ROOT / "openapi.yaml"), "-o", "api.d.ts"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=patience(120),
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return folder


# Uses the types as a frontend would; each @ts-expect-error proves a field is typed, not any.
TYPED_SCRIPT = """
import type { components, paths } from "./api.js";

type Customer = components["schemas"]["Customer"];
type Page = paths["/api/income"]["get"]["responses"]["200"]["content"]["application/json"];
type Query = NonNullable<paths["/api/income"]["get"]["parameters"]["query"]>;

export function label(customer: Customer): string {
  const balance: number = customer.unformated_balance;
  const archived: boolean = customer.archived;
  return `${customer.business_name}: ${balance} ${archived}`;
}

export function firstAmount(page: Page): number {
  return page.data[0].income.amount + page.meta.total;
}

export const query: Query = { page: 1, limit: 10 };

// @ts-expect-error business_name is a string, not a number
export const wrongName: Customer["business_name"] = 1;
// @ts-expect-error unformated_balance is a number
export const wrongBalance: Customer["unformated_balance"] = "1";
// Input bodies no longer forbid other fields (the backend ignores them); their own stay
// typed, and openapi-typescript still refuses a field a literal misspells.
export const input: components["schemas"]["CustomerInput"] = {
  business_name: "A", business_address: "", business_phone: "", business_email: "", category_id: 1,
};
// @ts-expect-error a known input field keeps its type
export const wrongInput: components["schemas"]["CustomerInput"]["business_name"] = 1;
// @ts-expect-error no such operation
export type Nothing = paths["/api/v3/no-such-path"];
"""


def test_the_typescript_types_are_complete_and_typed(typescript):
    (typescript / "use.ts").write_text(TYPED_SCRIPT)
    declared = (typescript / "api.d.ts").read_text()
    assert all(f'"{path}": {{' in declared for path in SPEC.document["paths"]), (
        "a path is missing from the generated types"
    )
    checked = subprocess.run(
        ["npx", "tsc", "--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "use.ts"],
        cwd=typescript,
        capture_output=True,
        text=True,
        timeout=patience(120),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
