"""What a LogEntry says about the deployment that wrote it: the commit it runs (Cloud Build and
GitHub Actions deploys to Cloud Run label every entry `commit-sha`; GKE pods carry their own labels
as `k8s-pod/<key>`), the region (`resource.labels.location`) and the Kubernetes namespace. The remedy
(rca.analyze.remedy) reads them from a revision's first record to name the deployed commit and to
write rollback commands that need no placeholder."""

from __future__ import annotations

import re

# Label keys (after a GKE `k8s-pod/` prefix) whose value is the commit a revision was built from.
COMMIT_KEYS = ("commit-sha", "commit_sha", "git-commit", "git_commit", "git-sha", "git_sha", "commit",
               "vcs-ref", "app_kubernetes_io/version", "app.kubernetes.io/version", "version")
COMMIT_SHAPE = re.compile(r"^[0-9a-f]{7,40}$")
POD_LABEL = "k8s-pod/"
# Every key that can name a commit, with and without the GKE prefix: most entries carry none of them
# (Cloud Run's `instanceId` alone), and telling so is one set test instead of a dict built per entry.
_COMMIT_LABELS = frozenset(COMMIT_KEYS) | frozenset(POD_LABEL + key for key in COMMIT_KEYS)


def deployment_details(resource_labels: dict, labels: dict) -> dict[str, str]:
    """{commit, commit_label, location, namespace}: those the entry carries, as strings."""
    found: dict[str, str] = {}
    commit = _commit(labels)
    if commit is not None:
        found["commit_label"], found["commit"] = commit
    for key, name in (("location", "location"), ("region", "location"), ("namespace_name", "namespace")):
        value = resource_labels.get(key)
        if isinstance(value, str) and value and name not in found:
            found[name] = value
    return found


def _commit(labels: dict) -> tuple[str, str] | None:
    """(label key, commit) of the first label that names a commit; a value must look like one (hex, 7 to
    40 digits): `version: 1.4.2` is not a commit."""
    if labels.keys().isdisjoint(_COMMIT_LABELS):  # no label can name a commit: nothing to walk
        return None
    return _first_commit(labels)


def _first_commit(labels: dict) -> tuple[str, str] | None:
    by_key = {key.removeprefix(POD_LABEL): (key, value) for key, value in labels.items() if isinstance(key, str)}
    for key in COMMIT_KEYS:
        if key in by_key:
            label, value = by_key[key]
            if isinstance(value, str) and COMMIT_SHAPE.match(value.strip().lower()):
                return label, value.strip().lower()
    return None
