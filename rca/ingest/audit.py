"""What an Admin Activity audit-log entry changed, read from its `protoPayload` (an AuditLog): the
method called, the resource it changed, who called it, and a sentence that says what changed.

Only changes that can break a running service are kept: IAM policies and service-account keys,
Secret Manager versions, a Cloud Run service's or job's configuration, Cloud SQL restarts and
updates. A call that failed (a `status` with a non-zero code) changed nothing and is not kept;
of a long-running operation's two entries, only the first is (both name the same change).
The analysis (rca.analyze.changes) turns what this returns into evidence.
"""

from __future__ import annotations

import re

# (method name pattern, kind, verb): the first that matches the end of `methodName` decides.
CHANGE_METHODS = (
    (re.compile(r"SecretManagerService\.DisableSecretVersion$"), "secret", "disabled"),
    (re.compile(r"SecretManagerService\.DestroySecretVersion$"), "secret", "destroyed"),
    (re.compile(r"SecretManagerService\.EnableSecretVersion$"), "secret", "enabled"),
    (re.compile(r"SecretManagerService\.AddSecretVersion$"), "secret", "added"),
    (re.compile(r"(?:^|\.)SetIamPolicy$"), "iam", "set"),
    (re.compile(r"\.(?:Disable|Delete)ServiceAccountKey$"), "iam", "key"),
    (re.compile(r"run\.v\d\.Jobs\.(?:ReplaceJob|UpdateJob)$"), "job", "updated"),
    (re.compile(r"run\.v\d\.Services\.(?:ReplaceService|UpdateService)$"), "config", "updated"),
    (re.compile(r"functions\.v\d\.(?:FunctionService|CloudFunctionsService)\.UpdateFunction$"), "config", "updated"),
    (re.compile(r"^cloudsql\.instances\.(?:restart|update|failover|restore)$"), "database", "sql"),
)
NAMED = re.compile(r"/(?P<what>services|jobs|secrets|instances|serviceAccounts|functions)/(?P<name>[^/]+)"
                   r"(?:/versions/(?P<version>[^/]+))?")
SQL_VERBS = {"restart": "restarted", "update": "updated", "failover": "failed over", "restore": "restored from a backup"}
MAX_NAMES = 6  # environment variables or role bindings a summary names; the rest are counted


def audit_change(proto: dict, resource_labels: dict) -> dict | None:
    """{kind, method, resource, name, service, principal, summary, image} of a change the entry records, or None
    (`image`: what a Cloud Run service or job runs after it, when the request names it)."""
    method = proto.get("methodName")
    if not isinstance(method, str) or _failed(proto) or _operation_end(proto):
        return None
    found = next(((kind, verb) for pattern, kind, verb in CHANGE_METHODS if pattern.search(method)), None)
    if found is None:
        return None
    kind, verb = found
    resource: str = proto["resourceName"] if isinstance(proto.get("resourceName"), str) else ""
    named = NAMED.search(resource)
    name = named.group("name") if named else resource.rsplit("/", 1)[-1]
    service = _service(kind, named, resource_labels)
    auth = proto.get("authenticationInfo")
    principal = auth.get("principalEmail") if isinstance(auth, dict) else None
    summary = _summary(kind, verb, method, name, named, proto, resource_labels)
    image = _container_spec(proto.get("request")).get("image") if kind in ("job", "config") else None
    return {"kind": kind, "method": method, "resource": resource, "name": name, "service": service,
            "principal": principal if isinstance(principal, str) else None, "summary": summary, "image": image}


def _failed(proto: dict) -> bool:
    status = proto.get("status")
    return isinstance(status, dict) and status.get("code") not in (None, 0, "0", "")


def _operation_end(proto: dict) -> bool:
    """The closing entry of a long-running operation: its first entry already recorded the change."""
    operation = proto.get("operation")
    return isinstance(operation, dict) and bool(operation.get("last")) and not operation.get("first")


def _service(kind: str, named, resource_labels: dict) -> str | None:
    """The service or job the change concerns; None for shared resources (a secret, a project's policy)."""
    for key in ("service_name", "job_name"):
        value = resource_labels.get(key)
        if isinstance(value, str) and value:
            return value
    if named and named.group("what") in ("services", "jobs", "functions"):
        return named.group("name")
    return None


def _summary(kind: str, verb: str, method: str, name: str, named, proto: dict, resource_labels: dict) -> str:
    if kind == "secret":
        version = named.group("version") if named else None
        if verb == "added" or not version:
            return f"new version of secret {name} {verb}" if verb == "added" else f"secret {name} {verb}"
        return f"version {version} of secret {name} {verb}"
    if kind == "iam":
        if verb == "key":
            return f"a key of service account {name} {'disabled' if 'Disable' in method else 'deleted'}"
        return f"IAM policy of {name} set" + _binding_changes(proto)
    if kind == "database":
        action = method.rsplit(".", 1)[-1]
        instance = str(resource_labels.get("database_id") or name).split(":")[-1]
        return f"Cloud SQL instance {instance} {SQL_VERBS.get(action, action)}"
    spec = _container_spec(proto.get("request"))
    what = "job" if kind == "job" else "function" if "Function" in method else "configuration of service"
    details = [f"image {spec['image']}"] if spec.get("image") else []
    if spec.get("env"):
        details.append("env " + _names(spec["env"]))
    return f"{what} {name} {verb}" + (f" ({'; '.join(details)})" if details else "")


def _binding_changes(proto: dict) -> str:
    """`: removed roles/x from member; added …` from the policy delta the entry carries."""
    deltas = []
    for holder in (proto.get("serviceData"), proto.get("metadata")):
        delta = holder.get("policyDelta") if isinstance(holder, dict) else None
        if isinstance(delta, dict) and isinstance(delta.get("bindingDeltas"), list):
            deltas = [d for d in delta["bindingDeltas"] if isinstance(d, dict)]
            break
    said = [f"{'removed' if str(d.get('action')).upper() == 'REMOVE' else 'added'} {d.get('role')} "
            f"{'from' if str(d.get('action')).upper() == 'REMOVE' else 'to'} {d.get('member')}" for d in deltas]
    if not said:
        return ""
    more = f" and {len(said) - MAX_NAMES} more" if len(said) > MAX_NAMES else ""
    return ": " + "; ".join(said[:MAX_NAMES]) + more


def _container_spec(request: object) -> dict:
    """The first container's image and environment variable names in a Cloud Run service or job
    request: v1 (Knative: `service.spec.template.spec.containers`, jobs one level deeper) or v2
    (`service.template.containers`, `job.template.template.containers`)."""
    if not isinstance(request, dict):
        return {}
    body = request.get("service") or request.get("job") or {}
    container = _first_container(body)
    if container is None:
        return {}
    env: list = container["env"] if isinstance(container.get("env"), list) else []
    return {"image": container.get("image") if isinstance(container.get("image"), str) else None,
            "env": [e["name"] for e in env if isinstance(e, dict) and isinstance(e.get("name"), str)]}


def _first_container(body: object, depth: int = 0) -> dict | None:
    """The first `containers[0]` found under `spec`/`template` keys (at most six levels down)."""
    if not isinstance(body, dict) or depth > 6:
        return None
    containers = body.get("containers")
    if isinstance(containers, list) and containers and isinstance(containers[0], dict):
        return containers[0]
    for key in ("spec", "template"):
        found = _first_container(body.get(key), depth + 1)
        if found is not None:
            return found
    return None


def _names(names: list[str]) -> str:
    more = f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else ""
    return ", ".join(names[:MAX_NAMES]) + more
