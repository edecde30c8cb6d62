"""The path patterns of the journal's `?path=` and of fault rules: what they match, in
time linear in the path whatever the pattern, and the patterns refused."""

import random

import pytest
import yaml

from mockserver import defaults
from mockserver.mocking.patterns import PatternError, check_pattern, path_matcher
from mockserver.resources import CONTROL_SPEC_PATH
from tests.timing import assert_linear


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/v3/clients", "/api/v3/clients/779", True),  # no wildcard: the path and under it
        ("/api", "/apiary", False),
        ("/api/v3/clients/*", "/api/v3/clients/779", True),
        ("/api/v3/clients/*", "/api/v3/clients/779/", True),  # a trailing slash is the same path
        ("/api/v3/clients/*", "/api/v3/clients/779/transactions", False),
        ("/api/v3/clients/*", "/api/v3/clients/", False),  # one segment is not none
        ("/api/v3/clients/{id}/transactions", "/api/v3/clients/779/transactions", True),
        ("/api/**/transactions", "/api/v3/clients/779/transactions", True),
        ("/api/**/transactions", "/api/transactions", True),  # ** may be no segment
        ("/api/**/transactions", "/api/v3/transactionsx", False),
        ("/**/a/**/b", "/x/a/y/z/b", True),
        ("/**/a/**/b", "/x/b/y/a", False),
        ("/*/**", "/", False),
    ],
)
def test_what_a_pattern_matches(pattern, path, matches):
    assert path_matcher(pattern)(path) is matches


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("/api/v3/cl*", "must be a whole segment"),
        ("/api/v3/clients/{id}.json", "must be a whole segment"),
        ("/x" * 300, f"at most {defaults.PATTERN_MAX_LENGTH}"),
    ],
)
def test_a_pattern_it_cannot_take_is_refused_saying_why(pattern, words):
    with pytest.raises(PatternError, match=words):
        check_pattern(pattern)


def test_the_length_limit_is_the_one_the_control_plane_documents():
    spec = yaml.safe_load(CONTROL_SPEC_PATH.read_text())
    journal = next(p for p in spec["paths"]["/__mock/requests"]["get"]["parameters"] if p["name"] == "path")
    rule = spec["components"]["schemas"]["FaultRule"]["properties"]["path"]
    assert journal["schema"]["maxLength"] == rule["maxLength"] == defaults.PATTERN_MAX_LENGTH


ADVERSARIAL = [
    "/**" * 14 + "/b",  # the review's 129 s
    "/**/a" * 40 + "/b",  # every ** could take any run of a's
    "/*" * 100 + "/**",
    "/**/*" * 80 + "/c",
]


@pytest.mark.parametrize("pattern", ADVERSARIAL)
def test_a_match_takes_time_linear_in_the_path_whatever_the_pattern(pattern):
    matches = path_matcher(pattern)
    assert_linear(matches, lambda n: "/a" * (n // 2), 2_000)
    rng = random.Random(7)
    assert_linear(matches, lambda n: "/" + "".join(rng.choice("/ab") for _ in range(n)), 2_000)


def test_matching_the_longest_patterns_against_a_long_path_is_quick():
    rng = random.Random(3)
    for _ in range(20):
        pattern = "".join(rng.choice(["/**", "/*", "/a", "/b"]) for _ in range(defaults.PATTERN_MAX_LENGTH // 3))
        pattern = pattern[: defaults.PATTERN_MAX_LENGTH]
        path = "".join(rng.choice(["/a", "/b", "/c"]) for _ in range(8_000))  # a 16 KiB path
        assert_linear(path_matcher(pattern), lambda n, path=path: path[: 2 * n], 500)
