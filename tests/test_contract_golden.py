"""`mockserver contract --seeded`: a target started from the docs' sample records gives the
docs' sample answers back field for field, and one that does not is told where."""

import json

from flask import request

from mockserver import create_app
from mockserver.contract.golden import SAMPLES, mismatches
from mockserver.serving.threaded import serving
from tests.server_process import run_cli

AUTH = {"Authorization": "Bearer golden"}


def test_the_seeded_mock_gives_every_docs_sample_back():
    with serving(create_app({"DB_PATH": None})) as base_url:
        assert mismatches(base_url, AUTH) == []


def test_a_changed_figure_is_named_with_what_the_docs_say_and_what_came():
    app = create_app({"DB_PATH": None})

    @app.after_request
    def drift(response):  # one customer's balance off by a cent, in the list only
        if request.path == "/api/v3/clients" and request.method == "GET":
            body = response.get_json()
            for customer in body:
                if customer["id"] == 779:
                    customer["unformated_balance"] += 0.01
            response.set_data(json.dumps(body))
        return response

    with serving(app) as base_url:
        [wrong] = mismatches(base_url, AUTH)
    assert wrong.sample.name == "the customer list holds the docs' customers"
    [difference] = wrong.differences
    assert difference.startswith("id 779.unformated_balance: expected ")
    assert wrong.curl.endswith(f"{base_url}/api/v3/clients") and "Authorization: Bearer golden" in wrong.curl


def test_a_target_without_the_docs_records_fails_each_sample(tmp_path):
    app = create_app({"DB_PATH": None})
    client = app.test_client()
    for customer in client.get("/api/v3/clients", headers=AUTH).json:
        client.delete(f"/api/v3/clients/{customer['id']}", headers=AUTH)
    with serving(app) as base_url:
        wrong = {m.sample.name: m.differences for m in mismatches(base_url, AUTH)}
    assert wrong["customer 154184 is the customer the docs' create answers"][0].startswith(
        "status: expected 200, got 404"
    )
    assert "id 779: expected in the answer, not there" in wrong["the customer list holds the docs' customers"]
    assert len(wrong) < len(SAMPLES)  # the categories and the income were not touched


def test_seeded_is_an_option_of_the_contract_command(tmp_path):
    with serving(create_app({"DB_PATH": None, "TOKEN": "golden"})) as base_url:
        result = run_cli(
            "contract", "--base-url", base_url, "--token", "golden", "--seeded", "--phases", "examples", cwd=tmp_path
        )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (
        f"--seeded: {len(SAMPLES)} of the {len(SAMPLES)} docs' sample answers came back field for field"
        in result.stdout
    )
