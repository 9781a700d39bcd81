"""Which service, revision and instance a Kubernetes record concerns.

GKE labels a container's lines with the pod, not the workload: a Deployment's pods are named
`<deployment>-<pod-template-hash>-<suffix>`, and the hash changes with every rollout, so it is the
revision (a new ReplicaSet is a deploy). Kubernetes events name the pod or the object they are about.
"""

from __future__ import annotations

import re

# <deployment>-<pod-template-hash>-<5 characters>: the shape the ReplicaSet controller gives its pods.
DEPLOYMENT_POD = re.compile(r"^(?P<workload>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(?P<hash>[a-z0-9]{6,10})-(?P<suffix>[a-z0-9]{5})$")
REPLICA_SET = re.compile(r"^(?P<workload>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(?P<hash>[a-z0-9]{6,10})$")
SCALED = re.compile(r"Scaled (?:up|down) replica set (?P<name>\S+)")
CONTAINER_STREAMS = ("/logs/stdout", "/logs/stderr")


def kubernetes_identity(resource_type: str | None, resource_labels: dict, labels: dict,
                        payload: object) -> tuple[str | None, str | None, str | None] | None:
    """(service, revision, instance) of a GKE container line or Kubernetes event; None for other records."""
    if resource_type == "k8s_container":
        return _container(resource_labels, labels)
    if resource_type in ("k8s_pod", "k8s_cluster") and isinstance(payload, dict) and payload.get("kind") == "Event":
        return _event(resource_labels, payload)
    return None


def _container(resource_labels: dict, labels: dict):
    pod = _text(resource_labels.get("pod_name"))
    revision = _text(labels.get("k8s-pod/pod-template-hash"))
    workload, hash_ = _deployment_of(pod, revision)
    service = workload or _text(labels.get("k8s-pod/app")) or _text(resource_labels.get("container_name"))
    return service, hash_, pod


def _event(resource_labels: dict, payload: dict):
    involved = payload.get("involvedObject")
    involved = involved if isinstance(involved, dict) else {}
    kind, name = involved.get("kind"), _text(involved.get("name"))
    scaled = SCALED.search(str(payload.get("message") or ""))
    if scaled:  # a Deployment scaling a ReplicaSet: the rollout of a revision
        match = REPLICA_SET.match(scaled.group("name"))
        if match:
            return match.group("workload"), match.group("hash"), None
    if kind == "Pod" or resource_labels.get("pod_name"):
        pod = name if kind == "Pod" else _text(resource_labels.get("pod_name"))
        workload, hash_ = _deployment_of(pod, None)
        return workload or pod, hash_, pod
    if kind == "ReplicaSet" and name and (match := REPLICA_SET.match(name)):
        return match.group("workload"), match.group("hash"), None
    if kind in ("Deployment", "StatefulSet", "DaemonSet"):
        return name, None, None
    return None


def _deployment_of(pod: str | None, template_hash: str | None) -> tuple[str | None, str | None]:
    """(deployment, pod-template-hash) from a pod's name, or (None, the hash given) when it has no such shape."""
    if not pod:
        return None, template_hash
    if template_hash and f"-{template_hash}-" in pod:
        return pod[: pod.rindex(f"-{template_hash}-")], template_hash
    match = DEPLOYMENT_POD.match(pod)
    if match and (template_hash is None or template_hash == match.group("hash")):
        return match.group("workload"), match.group("hash")
    return None, template_hash


def content_decides_severity(resource_type: str | None, log_name: str | None) -> bool:
    """GKE gives every line of a container's stream one severity (stderr: ERROR), so what the line
    itself says about its level is worth more there."""
    return resource_type == "k8s_container" and log_name is not None and log_name.endswith(CONTAINER_STREAMS)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
