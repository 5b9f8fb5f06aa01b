"""Derive Kubernetes names for namespaces, Services, releases and builds.

Every name is valid for its kind for any input and the same input always gives
the same name. A name that had to be changed or shortened ends with a short hash
of the original, so two inputs that clean up to the same text still differ.
"""

from __future__ import annotations

import hashlib
import re

MAX_LABEL = 63
HASH_LENGTH = 8

_INVALID_RUN = re.compile(r"[^a-z0-9]+")
_CLEAN_PART = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def short_hash(*parts: str) -> str:
    """Return a stable 8-character hex digest of the parts."""
    digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
    return digest[:HASH_LENGTH]


def _clean(text: str) -> str:
    """Lowercase, turn each run of other characters into one '-', trim '-'."""
    return _INVALID_RUN.sub("-", text.lower()).strip("-")


def _shorten(name: str, digest: str, limit: int = MAX_LABEL) -> str:
    """Cut the name to leave room for '-' + digest, and append it."""
    head = name[: limit - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}" if head else digest


def namespace_name(prefix: str, owner: str) -> str:
    """Return the namespace (a DNS-1123 label) of an organization or user.

    GitHub logins are case-insensitive, so lowercasing alone is no change.
    """
    wanted = f"{prefix}{owner}".lower()
    cleaned = _clean(wanted)
    if cleaned == wanted and len(cleaned) <= MAX_LABEL:
        return cleaned
    return _shorten(cleaned, short_hash(prefix, owner.lower()))


def service_name(repo: str, branch: str) -> str:
    """Return the Service name (a DNS-1035 label) of a repository and branch.

    The plain form is ``<repo>--<branch>``. It is used when both parts are
    already lowercase words joined by single hyphens, so that '--' separates
    them unambiguously, and the repository name starts with a letter. Repository
    names are case-insensitive on GitHub, branch names are not.
    """
    repo_part, branch_part = _clean(repo), _clean(branch)
    plain = f"{repo_part}--{branch_part}"
    unchanged = (
        _CLEAN_PART.match(repo.lower()) is not None
        and _CLEAN_PART.match(branch) is not None
        and repo[:1].isalpha()
        and len(plain) <= MAX_LABEL
    )
    if unchanged:
        return plain
    if not plain[:1].isalpha():
        plain = f"r{plain}"
    # NOTE: a branch that is literally another name's cleaned form plus its
    # hash would collide with it; that takes a deliberately chosen branch name.
    return _shorten(plain.strip("-"), short_hash(repo.lower(), branch))


def release_name(service: str, sha: str, template_hash: str) -> str:
    """Return the name of the release of a commit for a Service.

    The name carries the short sha and a hash of the pod template, so a release
    with other resources for the same commit gets a name of its own. It is a
    DNS-1123 label because it is also a label value.
    """
    suffix = f"-{sha[:7].lower()}-{template_hash[:4]}"
    head = service
    if len(head) + len(suffix) > MAX_LABEL:
        head = _shorten(service, short_hash(service), MAX_LABEL - len(suffix))
    return f"{head}{suffix}"


def build_key(owner: str, repo: str, ref: str) -> str:
    """Return the 8-character hash that names one repository's branch or tag.

    Owner and repository names are case-insensitive on GitHub, refs are not.
    """
    return short_hash(owner.lower(), repo.lower(), ref)


def build_name(owner: str, repo: str, ref: str, sha: str) -> str:
    """Return the name of the build Job of a commit pushed to a ref.

    Kubernetes copies a Job's name into a label of its pods, so the name is a
    DNS-1123 label of at most 63 characters. It reads
    ``<repo>-<ref>-<build key>-<sha10>``: the build key keeps the builds of
    other organizations and refs apart in the shared build namespace, and the
    sha makes each commit's build a Job of its own.
    """
    short_ref = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    suffix = f"-{build_key(owner, repo, ref)}-{sha[:10].lower()}"
    head = _clean(f"{repo}-{short_ref}")[: MAX_LABEL - len(suffix)].strip("-")
    return f"{head}{suffix}" if head else suffix[1:]
