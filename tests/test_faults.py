"""PUT/GET/DELETE /__mock/faults and --latency: slow, failing and dropped answers on purpose.
Faults come before the handler, so a faulted request writes nothing."""

import pytest

from mockserver.mocking.overrides import ConnectionDropped
from tests.conftest import ApiClient, fixture_rows, make_app

NEW = {
    "business_name": "Fault Ltd",
    "business_address": "",
    "business_phone": "",
    "business_email": "",
    "category_id": 1,
}
CUSTOMERS = len(fixture_rows("customers"))


def set_faults(client, *rules, seed=None):
    answer = client.put("/__mock/faults", json={"rules": list(rules), **({"seed": seed} if seed is not None else {})})
    assert answer.status_code == 200, answer.json
    return answer.json


def stored(client):
    return len(client.get("/api/v3/clients").json)


def test_rules_are_shown_filled_in_and_cleared(client):
    state = set_faults(client, {"path": "/api/income", "error_rate": 0.5}, seed=4)
    assert state == {
        "server_latency_ms": None,
        "seed": 4,
        "rules": [
            {
                "path": "/api/income",
                "method": None,
                "latency_ms": None,
                "error_rate": 0.5,
                "statuses": [],
                "drop_rate": 0,
            }
        ],
    }
    assert client.get("/__mock/faults").json == state
    assert client.delete("/__mock/faults").status_code == 204
    assert client.get("/__mock/faults").json["rules"] == []


def test_an_error_uses_a_status_and_example_the_spec_documents_and_writes_nothing(client):
    set_faults(client, {"method": "POST", "path": "/api/v3/clients", "error_rate": 1})
    answer = client.post("/api/v3/clients", json=NEW)
    assert answer.status_code in (400, 404, 413, 415, 422)  # create's documented errors, 401 aside
    assert isinstance(answer.json["message"], str)
    assert stored(client) == CUSTOMERS
    [entry] = client.get("/__mock/requests?method=POST").json
    assert entry["injected"] == f"fault rule 1: {answer.status_code}"


def test_chosen_statuses_even_undocumented_ones_say_they_were_injected(client):
    set_faults(client, {"path": "/api/v3/clients", "error_rate": 1, "statuses": [503]})
    answer = client.post("/api/v3/clients", json=NEW)
    assert answer.status_code == 503
    assert answer.json["message"].startswith("503 Service Unavailable: injected by mockserver fault rule 1")
    assert client.get("/api/v3/clients/779").status_code == 503
    client.delete("/__mock/faults")
    assert stored(client) == CUSTOMERS


def test_a_dropped_connection_answers_nothing_and_writes_nothing(client):
    set_faults(client, {"method": "POST", "path": "/api/v3/clients", "drop_rate": 1})
    with pytest.raises(ConnectionDropped):
        client.post("/api/v3/clients", json=NEW)
    assert stored(client) == CUSTOMERS
    [entry] = client.get("/__mock/requests?status=none").json
    assert entry["injected"] == "fault rule 1: drop"
    assert entry["response"] == {"status": None, "content_type": None, "body": None}


def test_the_first_matching_rule_applies_by_method_and_pattern(client):
    set_faults(
        client,
        {"method": "DELETE", "path": "/api/v3/clients/*", "error_rate": 1, "statuses": [500]},
        {"path": "/api/v3/clients/{id}", "error_rate": 1, "statuses": [502]},
        {"path": "/api", "error_rate": 1, "statuses": [504]},
    )
    assert client.delete("/api/v3/clients/779").status_code == 500
    assert client.get("/api/v3/clients/779").status_code == 502
    assert client.get("/api/v3/clients/779/transactions").status_code == 504
    assert client.get("/api/v3/clients").status_code == 504
    assert client.get("/__mock/faults").status_code == 200  # the control plane is never faulted
    assert client.get("/", auth=False).status_code == 200


def test_a_seed_replays_the_same_faults(client):
    def run():
        set_faults(client, {"path": "/api/v3/clients/779", "error_rate": 0.5, "statuses": [500]}, seed=11)
        return [client.get("/api/v3/clients/779").status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert set(first) == {200, 500}


def test_a_rule_latency_delays_and_a_rule_without_one_uses_the_servers():
    client = ApiClient(make_app(LATENCY=(30, 30)).test_client())
    assert client.get("/__mock/faults").json["server_latency_ms"] == {"min": 30, "max": 30}
    set_faults(client, {"path": "/api/v3/clients/779", "latency_ms": {"min": 80, "max": 90}})
    client.get("/api/v3/clients/779")
    client.get("/api/v3/clients/2319")
    slow, server_wide = client.get("/__mock/requests").json
    assert slow["duration_ms"] >= 80 and server_wide["duration_ms"] >= 30
    assert slow["injected"] is None and slow["response"]["status"] == 200


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"path": "api/income"}, "rules.0.path"),
        ({"path": "/x", "error_rate": 1.5}, "rules.0.error_rate"),
        ({"path": "/x", "statuses": [200]}, "rules.0.statuses.0"),
        ({"path": "/x", "statuses": []}, "rules.0.statuses"),
        ({"path": "/x", "latency_ms": {"min": 300, "max": 100}}, "rules.0.latency_ms"),
        ({"path": "/x", "latency_ms": {"min": 60001}}, "rules.0.latency_ms.min"),
        ({"path": "/x", "method": "get"}, "rules.0.method"),
        ({"path": "/x", "chance": 1}, "rules.0.chance"),
        ({"path": "/api/v3/clients/7*"}, "rules.0.path"),
        ({"path": "/x" * 251}, "rules.0.path"),
        ({}, "rules.0.path"),
    ],
)
def test_bad_rules_are_422_naming_the_field_and_keep_the_old_rules(client, rule, field):
    set_faults(client, {"path": "/api/income", "error_rate": 1})
    answer = client.put("/__mock/faults", json={"rules": [rule]})
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"], answer.json
    assert client.get("/__mock/faults").json["rules"][0]["path"] == "/api/income"


def test_a_star_heavy_rule_path_applies_in_one_pass_and_a_long_one_is_422_naming_it(client):
    """Issue 30, row 2: a fault rule's `**`-heavy path was matched in exponential time against
    every request (14 `/**`: 129 s); now it is matched like any other, and a long one refused."""
    set_faults(client, {"path": "/**" * 14 + "/b", "statuses": [503], "error_rate": 1})
    assert client.get("/api/v3/clients/779" + "/a" * 30).status_code == 404  # not matched: no such path
    assert client.get("/api/v3/clients/779").status_code == 200
    set_faults(client, {"path": "/**" * 14 + "/779", "statuses": [503], "error_rate": 1})
    assert client.get("/api/v3/clients/779").status_code == 503
    answer = client.put("/__mock/faults", json={"rules": [{"path": "/x" * 251}]})
    assert answer.status_code == 422 and "path" in str(answer.json["errors"])
