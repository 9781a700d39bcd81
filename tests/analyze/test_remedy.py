"""The remedy: the deployed commit, a later fix not deployed, the rollback and its command, a checked patch."""

import ast
import json
import subprocess
import symtable
from pathlib import Path

import pytest
from conftest import FIXTURES, INCIDENT, run_rca
from test_repository import build_fixed_story, git

from rca.analyze.analysis import analyze
from rca.analyze.bindings import import_position, name_bound_at
from rca.analyze.remedy import Deployed, _commit, _rollback_command
from rca.ingest.logentry import entry_to_record
from rca.report.markdown import to_markdown

RATE_LIMITER_PATH = "netra_backend/app/services/tool_permissions/rate_limiter.py"
BAD_REVISION, GOOD_REVISION = "netra-backend-staging-00042-q9m", "netra-backend-staging-00041-kx7"
FAILING_LINE = "self.redis = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)"


@pytest.fixture(scope="module")
def fixed_story(tmp_path_factory) -> tuple[Path, str, str]:
    return build_fixed_story(tmp_path_factory.mktemp("netra-fixed"))


def labelled_logs(path: Path, commit: str) -> Path:
    """The seed's logs with the bad revision's entries labelled `commit-sha`, as a Cloud Build deploy labels them."""
    lines = []
    for line in (INCIDENT / "logs.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("resource", {}).get("labels", {}).get("revision_name") == BAD_REVISION:
            entry["labels"] = {**entry.get("labels", {}), "commit-sha": commit, "managed-by": "gcp-cloud-build-deploy-cloud-run"}
        lines.append(json.dumps(entry))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_report_names_the_fix_commit_as_not_deployed(fixed_story, tmp_path):
    repo, deployed, fix = fixed_story
    logs = labelled_logs(tmp_path / "logs.jsonl", deployed)
    report = json.loads(run_rca("analyze", str(logs), "--repo", str(repo), "--format", "json").stdout)
    incident = report["incidents"][0]
    remedy = incident["remedy"]
    assert (remedy["deployed"]["commit"], remedy["deployed"]["source"]) == (deployed, "labels.commit-sha")
    found = remedy["fix"]
    assert (found["commit"], found["verdict"], found["commits_after"]) == (fix, "fixed", 2)
    assert found["text"].startswith(f"fixed in `{fix[:9]}` (2 commits after the deployed `{deployed[:7]}`), not deployed")
    # the code is read as the deployed commit has it, though the checkout's branch holds the fix
    assert incident["code"]["commit"] == deployed and incident["code"]["confirmed"] is True
    markdown = run_rca("analyze", str(logs), "--repo", str(repo)).stdout.decode()
    assert "## Remedy" in markdown and f"fixed in `{fix[:9]}` (2 commits after the deployed `{deployed[:7]}`), not deployed" in markdown
    assert f"revision `{BAD_REVISION}`, commit `{deployed[:9]}`" in markdown
    assert f"Checkout: `{repo.resolve()}` at commit `{deployed[:9]}`, the deployed one" in markdown
    assert "an `import redis` would go after line 2" in markdown  # where the patch puts it


def test_a_commit_that_only_changes_the_file_is_not_a_fix(fixed_story, tmp_path):
    """Without the fixing commit on the branch, the commit that touched the file is not called a fix."""
    repo, deployed, fix = fixed_story
    git(repo, "branch", "-f", "before-fix", f"{fix}~1")
    report = analyze(INCIDENT / "logs.jsonl", repo=repo, deployed_commit=deployed, branch="before-fix")
    remedy = report.remedies[0]
    assert remedy.fix is None
    assert remedy.fix_note == f"none of the 1 commit(s) after the deployed {deployed[:7]} on before-fix that touch {RATE_LIMITER_PATH} removes the failure"


def test_rollback_names_the_previous_revision_and_the_command():
    """The seed's logs: revision 00041-kx7 served from the first record until 00042-q9m appeared, without the NameError."""
    remedy = analyze(INCIDENT / "logs.jsonl").remedies[0]
    rollback = remedy.rollback
    assert rollback.applies and rollback.revision == GOOD_REVISION
    assert rollback.command == (f"gcloud run services update-traffic netra-backend-staging --to-revisions={GOOD_REVISION}=100 "
                                "--region=us-central1 --project=netra-staging")
    assert (rollback.failed_requests, rollback.error_events) == (0, 0)
    assert rollback.text.startswith(f"roll back to {GOOD_REVISION}, the revision that served before the deploy: 0 failed requests")
    assert remedy.deployed.commit is None and "give --deployed-commit SHA" in remedy.deployed.source


def test_no_deploy_no_rollback_and_says_why(tmp_path):
    no_deploy = analyze(FIXTURES / "incidents" / "db-failure" / "logs.jsonl").remedies[0]
    assert not no_deploy.rollback.applies and no_deploy.rollback.command is None
    assert no_deploy.rollback.text == ("no rollback: the failure did not begin with a deploy (no new revision of orders-api "
                                       "appeared before the onset)")
    # a deploy, but the revision before it never appears in the logs
    kept = [line for line in (INCIDENT / "logs.jsonl").read_text().splitlines() if GOOD_REVISION not in line]
    (tmp_path / "logs.jsonl").write_text("\n".join(kept) + "\n")
    alone = analyze(tmp_path / "logs.jsonl").remedies[0]
    assert not alone.rollback.applies
    assert alone.rollback.text == (f"no rollback target: no earlier revision of netra-backend-staging appears in these logs "
                                   f"(revision {BAD_REVISION} is the first seen)")


def test_patch_applies_compiles_binds_redis_and_equals_the_fix(fixed_story, tmp_path):
    repo, deployed, fix = fixed_story
    patch = tmp_path / "fix.diff"
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--repo", str(repo), "--deployed-commit", deployed[:7],
                     "--patch-out", str(patch), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert f"patch written to {patch}".encode() in result.stderr
    assert json.loads(result.stdout)["incidents"][0]["remedy"]["patch"]["diff"] == patch.read_text()
    # applied to the code that ran, the file compiles and redis is bound where line 22 failed
    at_deploy = tmp_path / "at-deploy"
    subprocess.run(["git", "clone", "-q", str(repo), str(at_deploy)], check=True)
    git(at_deploy, "checkout", "-q", deployed)
    git(at_deploy, "apply", str(patch))
    patched = (at_deploy / RATE_LIMITER_PATH).read_text()
    compile(patched, RATE_LIMITER_PATH, "exec")
    failing = next(n for n, line in enumerate(patched.splitlines(), 1) if line.strip() == FAILING_LINE)
    assert failing == 23  # line 22, one import further down
    module = symtable.symtable(patched, RATE_LIMITER_PATH, "exec")
    init = module.lookup("ToolPermissionRateLimiter").get_namespace().lookup("__init__").get_namespace()
    assert init.lookup("redis").is_global() and module.lookup("redis").is_imported()
    assert any(isinstance(node, ast.Import) and node.names[0].name == "redis" for node in ast.parse(patched).body)
    # identical in effect to the fixing commit: applied to the fix's parent it gives the fix's file
    git(at_deploy, "checkout", "-q", "--", ".")
    git(at_deploy, "checkout", "-q", f"{fix}~1")
    git(at_deploy, "apply", str(patch))
    assert (at_deploy / RATE_LIMITER_PATH).read_text() == git(repo, "show", f"{fix}:{RATE_LIMITER_PATH}") + "\n"


def test_patch_out_without_a_patch_says_why_and_writes_nothing(tmp_path):
    patch = tmp_path / "fix.diff"
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--patch-out", str(patch))
    assert result.returncode == 0 and not patch.exists()
    assert f"no patch written to {patch}: no patch: --repo is needed to write one".encode() in result.stderr


def test_deployed_commit_must_look_like_one():
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--deployed-commit", "main; rm -rf /")
    assert result.returncode == 2 and result.stderr.decode().strip().endswith(
        "rca: error: --deployed-commit main; rm -rf /: expected a commit id (4 to 40 hexadecimal digits)")


def test_missing_environment_variable_names_it_and_the_command():
    analysis = analyze(FIXTURES / "incidents" / "missing-env-var" / "logs.jsonl")
    patch = analysis.remedies[0].patch
    assert (patch.kind, patch.variable, patch.read_at) == ("env", "SENDGRID_API_KEY", "/app/notifier/config.py:12")
    command = ("gcloud run services update netra-notifier --update-secrets=SENDGRID_API_KEY=<secret-name>:latest "
               "--region=us-central1 --project=netra-staging")
    assert patch.command == command and patch.diff is None
    assert f"```sh\n{command}\n```" in to_markdown(analysis)  # a placeholder, not a secret to mask


def test_other_classes_get_no_patch_and_the_report_says_so():
    remedy = analyze(FIXTURES / "incidents" / "expired-token" / "logs.jsonl").remedies[0]
    assert remedy.patch.kind == "none" and remedy.patch.diff is None
    assert remedy.patch.text.startswith("no patch: rca writes patches for a module used without import") \
        and remedy.patch.text.endswith("not for auth_rejection")
    orjson_missing = analyze(FIXTURES / "incidents" / "canary-crash" / "logs.jsonl").remedies[0].patch
    assert orjson_missing.kind == "none" and orjson_missing.text.startswith("no patch: `orjson` is imported but not installed")


def test_deployed_commit_from_labels_and_image_tags():
    entry = {"resource": {"type": "k8s_container", "labels": {"pod_name": "api-7d9f8b6c5d-x2x9q", "namespace_name": "shop",
                                                              "location": "europe-west1"}},
             "labels": {"k8s-pod/pod-template-hash": "7d9f8b6c5d", "k8s-pod/commit-sha": "86F560D0A1"},
             "timestamp": "2025-09-12T14:00:00Z", "textPayload": "ready"}
    record = entry_to_record(entry, "x", 1)
    assert record.extra == {"commit_label": "k8s-pod/commit-sha", "commit": "86f560d0a1", "location": "europe-west1",
                            "namespace": "shop"}
    assert entry_to_record({**entry, "labels": {"k8s-pod/version": "1.4.2"}}, "x", 1).extra.get("commit") is None
    assert _commit(None, {}, "europe-docker.pkg.dev/p/repo/api:sha-86f560d", "r") == ("86f560d", "image tag")
    assert _commit(None, {}, "gcr.io/p/api@sha256:" + "a" * 64, "r")[0] is None  # a digest names an image, not a commit


def test_rollback_commands_of_gke_and_app_engine():
    from rca.analyze.groups import Deploy
    from rca.ingest.record import LogRecord

    previous = Deploy("api", "5c8d7f9b6a", 0.0, LogRecord(0.0, "INFO", "", "x", 1, extra={"namespace": "shop"}))
    gke = Deployed("api", "7d9f8b6c5d", None, "", platform="gke")
    assert _rollback_command(gke, previous, "p") == ("kubectl rollout undo deployment/api -n shop", "api-5c8d7f9b6a")
    app = Deployed("default", "20250912t142000", None, "", platform="app-engine")
    version = Deploy("default", "20250911t090000", 0.0, LogRecord(0.0, "INFO", "", "x", 1))
    assert _rollback_command(app, version, "p")[0] == "gcloud app services set-traffic default --splits=20250911t090000=1 --project=p"


def test_name_bound_at_reads_scopes_as_python_does():
    source = "import os\n\nclass A:\n    redis = 1\n\n    def f(self):\n        return redis\n\n    def g(self, redis):\n        return redis\n"
    assert not name_bound_at(source, "redis", 7)  # a class body does not enclose its methods
    assert name_bound_at(source, "redis", 10)  # a parameter
    assert name_bound_at("def f():\n    def g():\n        return redis\n    redis = 1\n", "redis", 3)  # an enclosing function
    assert name_bound_at("import redis.asyncio\n\ndef f():\n    return redis\n", "redis", 4)
    assert import_position('"""Doc."""\nimport logging\nimport time\n\nfrom x import y\n', "redis") == 2
    assert import_position('"""Doc."""\nfrom x import y\n', "redis") == 2
    assert import_position('"""Doc."""\n\nx = 1\n', "redis") == 1


NOTIFIER_CONFIG = '''"""Settings of the notifier, read from the environment at import."""
import os


class Settings:
    pass


settings = Settings()
settings.FROM_ADDRESS = os.environ.get("FROM_ADDRESS", "noreply@example.com")
settings.REGION = os.environ.get("REGION", "us-central1")
SENDGRID_API_KEY = os.environ["SENDGRID_API_KEY"]
'''


def notifier_repo(repo: Path) -> str:
    """A notifier whose config.py reads SENDGRID_API_KEY with no default at line 12; the deployed commit."""
    (repo / "notifier").mkdir(parents=True)
    (repo / "notifier" / "config.py").write_text(NOTIFIER_CONFIG)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Notifier settings", date="2025-09-12T13:00:00Z")
    return git(repo, "rev-parse", "HEAD")


@pytest.mark.parametrize("how", ["default", "deploy file"])
def test_a_missing_setting_is_fixed_by_a_default_or_a_definition(tmp_path, how):
    repo = tmp_path / "notifier-repo"
    deployed = notifier_repo(repo)
    (repo / "README.md").write_text("notes\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Notes", date="2025-09-12T14:30:00Z")
    if how == "default":
        fixed = NOTIFIER_CONFIG.replace('os.environ["SENDGRID_API_KEY"]', 'os.environ.get("SENDGRID_API_KEY", "")')
        (repo / "notifier" / "config.py").write_text(fixed)
    else:
        (repo / "service.yaml").write_text("env:\n  - name: SENDGRID_API_KEY\n    valueFrom: {secretKeyRef: {name: sendgrid}}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Give the notifier its key", date="2025-09-12T14:40:00Z")
    fix = git(repo, "rev-parse", "HEAD")
    remedy = analyze(FIXTURES / "incidents" / "missing-env-var" / "logs.jsonl", repo=repo, deployed_commit=deployed).remedies[0]
    assert remedy.fix is not None and (remedy.fix.commit, remedy.fix.verdict, remedy.fix.commits_after) == (fix, "fixed", 2)
    why = ("`SENDGRID_API_KEY` is read with a default there (line 12)" if how == "default"
           else "`SENDGRID_API_KEY` is defined in service.yaml there")
    assert remedy.fix.text == f"fixed in `{fix[:9]}` (2 commits after the deployed `{deployed[:7]}`), not deployed: {why}"
    assert remedy.patch.read_at == "notifier/config.py:12"


def test_the_html_report_shows_the_remedy_under_the_verdict(fixed_story, tmp_path):
    repo, deployed, fix = fixed_story
    out = tmp_path / "incident.html"
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--repo", str(repo), "--deployed-commit", deployed,
                     "--format", "html", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    verdict_end, remedy, traceback = page.index("</section>"), page.index('<h2 id="remedy-1">Remedy</h2>'), page.index('id="traceback-1"')
    assert verdict_end < remedy < traceback
    section = page[remedy:traceback]
    assert f"fixed in <code>{fix[:9]}</code> (2 commits after the deployed <code>{deployed[:7]}</code>), not deployed" in section
    assert f"--to-revisions={GOOD_REVISION}=100 --region=us-central1 --project=netra-staging</pre>" in section
    assert '<pre class="diff">--- a/netra_backend/app/services/tool_permissions/rate_limiter.py' in section
    assert f"{BAD_REVISION} · commit {deployed[:9]}" in page[:verdict_end]
