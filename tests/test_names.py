"""Derived Kubernetes names are valid for their kind, stable and distinct."""

import re

import pytest

from k8s.names import namespace_name, release_name, service_name

DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

BRANCH_CASES = [
    ("hello-world", "main"),
    ("hello-world", "Feature/ABC_Login"),
    ("hello-world", "feature-abc-login"),
    ("hello-world", "release/1.2"),
    ("hello-world", "release-1-2"),
    ("hello-world", "b" * 80),
    ("hello-world", "b" * 81),
    ("1password", "main"),
    ("Hello.World", "main"),
    ("a-b", "c"),
    ("a", "b-c"),
    ("___", "___"),
    ("x" * 100, "main"),
    ("repo", "ünïcode/ブランチ"),
]


@pytest.mark.parametrize(("repo", "branch"), BRANCH_CASES)
def test_service_name_is_dns_1035_label(repo, branch):
    name = service_name(repo, branch)
    assert len(name) <= 63
    assert DNS_1035_LABEL.match(name), name


@pytest.mark.parametrize(("repo", "branch"), BRANCH_CASES)
def test_service_name_is_stable(repo, branch):
    assert service_name(repo, branch) == service_name(repo, branch)


def test_service_names_differ_for_distinct_inputs():
    names = [service_name(repo, branch) for repo, branch in BRANCH_CASES]
    assert len(set(names)) == len(names)


def test_clean_service_name_is_kept_readable():
    assert service_name("hello-world", "main") == "hello-world--main"


def test_changed_service_name_carries_hash():
    name = service_name("hello-world", "Feature/ABC_Login")
    assert name.startswith("hello-world--feature-abc-login-")
    assert name != service_name("hello-world", "feature/abc_login")


def test_repository_starting_with_digit_gets_letter():
    name = service_name("1password", "main")
    assert name[0].isalpha()
    assert "1password" in name


def test_repository_case_does_not_change_service():
    assert service_name("Hello-World", "main") == service_name("hello-world", "main")


def test_branch_case_changes_service():
    assert service_name("repo", "Main") != service_name("repo", "main")


@pytest.mark.parametrize("owner", ["octo-org", "Octo-Org", "x" * 39, "a1"])
def test_namespace_name_is_dns_1123_label(owner):
    name = namespace_name("cite-", owner)
    assert len(name) <= 63
    assert DNS_1123_LABEL.match(name), name


def test_namespace_is_case_insensitive():
    assert namespace_name("cite-", "Octo-Org") == "cite-octo-org"


def test_long_namespace_is_shortened_with_hash():
    first = namespace_name("a-very-long-operator-prefix-", "x" * 39)
    second = namespace_name("a-very-long-operator-prefix-", "x" * 38 + "y")
    assert len(first) == 63
    assert first != second


@pytest.mark.parametrize(("repo", "branch"), BRANCH_CASES)
def test_release_name_is_label_with_sha(repo, branch):
    service = service_name(repo, branch)
    name = release_name(service, "0123456789abcdef" * 2 + "01234567", "9f8e7d")
    assert len(name) <= 63
    assert DNS_1123_LABEL.match(name), name
    assert name.endswith("-0123456-9f8e")


def test_release_names_of_long_services_differ():
    sha = "a" * 40
    first = release_name(service_name("r", "b" * 80), sha, "1234")
    second = release_name(service_name("r", "b" * 81), sha, "1234")
    assert first != second
