"""Every record tied to its service: GKE workloads and revisions, Kubernetes events, Cloud Functions
outcomes, load balancer logs, and the window of an export whose healthy entries are passed over."""

import json

from rca.analyze.analysis import analyze
from rca.ingest.logentry import entry_to_record
from rca.report.markdown import to_dict

POD = "checkout-pfzq9hk84t-8hxfx"


def container_line(text, severity="ERROR", stream="stderr", at="2025-02-27T10:17:00Z"):
    return {"logName": f"projects/shop/logs/{stream}", "severity": severity, "textPayload": text, "timestamp": at,
            "resource": {"type": "k8s_container", "labels": {"pod_name": POD, "container_name": "server",
                                                              "namespace_name": "default"}},
            "labels": {"k8s-pod/app": "checkout", "k8s-pod/pod-template-hash": "pfzq9hk84t"}}


def event(message, kind="Pod", name=POD, resource="k8s_pod", reason="BackOff"):
    labels = {"pod_name": POD} if resource == "k8s_pod" else {"cluster_name": "prod"}
    return {"logName": "projects/shop/logs/events", "severity": "WARNING", "timestamp": "2025-02-27T10:17:05Z",
            "resource": {"type": resource, "labels": labels},
            "jsonPayload": {"kind": "Event", "reason": reason, "message": message,
                            "involvedObject": {"kind": kind, "name": name}}}


def test_a_gke_container_line_belongs_to_its_deployment_and_rollout():
    record = entry_to_record(container_line("boom"), "x", 1)
    assert (record.service, record.revision, record.instance) == ("checkout", "pfzq9hk84t", POD)


def test_gke_stderr_severity_gives_way_to_the_level_the_line_names():
    assert entry_to_record(container_line("INFO:     Shutting down"), "x", 1).severity == "INFO"
    assert entry_to_record(container_line("[2025-02-27 10:17:00 +0000] [7] [INFO] Booting worker"), "x", 1).severity == "INFO"
    assert entry_to_record(container_line("ERROR:    Application startup failed."), "x", 1).severity == "ERROR"
    assert entry_to_record(container_line("  File \"/app/x.py\", line 3, in <module>"), "x", 1).severity == "ERROR"


def test_kubernetes_events_name_the_workload_they_concern():
    backoff = entry_to_record(event(f"Back-off restarting failed container server in pod {POD}"), "x", 1)
    assert (backoff.service, backoff.revision, backoff.instance) == ("checkout", "pfzq9hk84t", POD)
    scaled = entry_to_record(event("Scaled up replica set checkout-7c9d8b6f5 to 3", kind="Deployment", name="checkout",
                                   resource="k8s_cluster", reason="ScalingReplicaSet"), "x", 1)
    assert (scaled.service, scaled.revision) == ("checkout", "7c9d8b6f5")  # the rollout: a deploy


def test_a_failed_cloud_function_execution_is_a_failed_request():
    entry = {"logName": "projects/shop/logs/cloudfunctions.googleapis.com%2Fcloud-functions", "severity": "DEBUG",
             "textPayload": "Function execution took 60003 ms, finished with status code: 500",
             "timestamp": "2025-01-25T18:49:28Z",
             "resource": {"type": "cloud_function", "labels": {"function_name": "partner-sync"}}}
    assert entry_to_record(entry, "x", 1).http_status == 500
    entry["textPayload"] = "Function execution took 12 ms, finished with status: 'crash'"
    crashed = entry_to_record(entry, "x", 1)
    assert crashed.http_status == 500 and crashed.severity == "ERROR"
    entry["textPayload"] = "Function execution took 12 ms, finished with status code: 200"
    assert entry_to_record(entry, "x", 1).http_status is None


def test_the_window_starts_with_the_first_record_even_when_it_is_passed_over(tmp_path):
    healthy = [{"severity": "INFO", "textPayload": "GET /health 200", "timestamp": f"2025-02-27T09:{m:02d}:00Z",
                "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api"}}} for m in range(0, 50)]
    failing = [{"severity": "ERROR", "textPayload": "boom: payment failed", "timestamp": f"2025-02-27T09:{40 + s // 60:02d}:{s % 60:02d}Z",
                "resource": {"type": "cloud_run_revision", "labels": {"service_name": "api"}}} for s in range(0, 300, 5)]
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in healthy + failing))
    report = to_dict(analyze(path, model=None))
    assert report["window"]["start"].startswith("2025-02-27T09:00:00")
    (group,) = report["groups"]
    assert group["onset"]["kind"] == "began"  # from a quiet 40 minutes: an onset, not 'present from the start'


def test_load_balancer_logs_join_the_backend_that_shares_their_traces(tmp_path):
    entries = []
    for second in range(0, 240, 2):
        stamp = f"2025-02-27T10:{20 + second // 60:02d}:{second % 60:02d}Z"
        trace = f"projects/shop/traces/{second:032x}"
        entries.append({"severity": "ERROR", "timestamp": stamp, "trace": trace,
                        "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop.example/api/cart", "status": 502},
                        "jsonPayload": {"statusDetails": "response_sent_by_backend"},
                        "resource": {"type": "http_load_balancer", "labels": {"backend_service_name": "k8s1-abc-default-checkout-8080-def"}}})
        entries.append({**container_line("ERROR:    Exception in ASGI application", at=stamp), "trace": trace})
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    groups = to_dict(analyze(path, model=None))["groups"]
    balancer = next(g for g in groups if g["label"].endswith("502"))
    assert balancer["service"] == "checkout" and "trace id" in balancer["tied_by"]


def test_load_balancer_errors_with_no_trace_join_the_backend_their_name_gives(tmp_path):
    """A 502 'failed_to_connect_to_backend' reaches no backend, so it shares no trace: GKE's backend
    service name (k8s1-<hash>-<namespace>-<service>-<port>-<hash>) still says whose it is."""
    entries = [container_line("ERROR:    Exception in ASGI application", at=f"2025-02-27T10:20:{s:02d}Z") for s in range(30)]
    entries += [{"severity": "WARNING", "timestamp": f"2025-02-27T10:21:{s:02d}Z",
                 "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop.example/api/cart", "status": 502},
                 "jsonPayload": {"statusDetails": "failed_to_connect_to_backend"},
                 "resource": {"type": "http_load_balancer",
                              "labels": {"backend_service_name": "k8s1-b54b1003-default-checkout-8080-3dc0bcde"}}}
                for s in range(30)]
    path = tmp_path / "logs.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    balancer = next(g for g in to_dict(analyze(path, model=None))["groups"] if g["label"].endswith("502"))
    assert balancer["service"] == "checkout" and "backend" in balancer["tied_by"]
