"""The `mockserver` fixture, used the way a consumer's suite uses it: in a pytest run of
its own, found through the pytest11 entry point, with no conftest.py."""

from tests.conftest import ROOT


def test_the_sample_consumer_suite_passes_with_only_the_fixture(pytester):
    pytester.makepyfile(test_consumer=(ROOT / "examples" / "test_consumer.py").read_text())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_state_is_fresh_per_test_but_the_server_is_started_once(pytester):
    pytester.makepyfile(
        """
        import json, urllib.request
        seen = set()

        def create(mockserver):
            body = json.dumps({"business_name": "X", "business_address": "", "business_phone": "",
                               "business_email": "", "category_id": 1}).encode()
            req = urllib.request.Request(mockserver.url("/api/v3/clients"), data=body, method="POST",
                                         headers={**mockserver.headers, "Content-Type": "application/json"})
            with urllib.request.urlopen(req) as r:
                return json.loads(r.read())["id"]

        def test_one(mockserver):
            seen.add(mockserver.base_url)
            assert create(mockserver) == create(mockserver) - 1

        def test_two(mockserver):
            seen.add(mockserver.base_url)
            create(mockserver)
            assert len(mockserver.requests()) == 1  # test_one's calls are gone
            assert len(seen) == 1
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_settings_and_errors_reach_the_consumer(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def mockserver_config():
            return {"TOKEN": "s3cret"}
        """
    )
    pytester.makepyfile(
        """
        import urllib.error, urllib.request
        import pytest
        from mockserver.pytest_plugin import MockServerError

        def test_token_and_refusals(mockserver):
            assert mockserver.token == "s3cret"
            with pytest.raises(urllib.error.HTTPError) as denied:
                urllib.request.urlopen(mockserver.url("/api/v3/clients"))
            assert denied.value.code == 401
            with pytest.raises(MockServerError, match="422.*advance"):
                mockserver.clock.advance("P1M")
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_fixtures_are_listed_for_consumers(pytester):
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    for fixture in ("mockserver_config", "mockserver_session", "mockserver"):
        result.stdout.fnmatch_lines([f"{fixture}*"])
