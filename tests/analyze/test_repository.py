"""--repo: frames mapped to a checkout, the defect confirmed in code, the suspect commit named."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import INCIDENT, run_rca

from rca.analyze.repository import PathMapper

RATE_LIMITER = '''"""Per-tool rate limiting for the agent API."""
import logging
import time

from netra_backend.app.config import settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
DEFAULT_LIMIT = 120


class ToolPermissionRateLimiter:
    """Counts tool calls per user in a sliding window kept in Redis."""

    def __init__(self, limit: int = DEFAULT_LIMIT):
        self.limit = limit
        self.window = WINDOW_SECONDS
        self.prefix = "tool-rate"
        self.started = time.monotonic()
        logger.info("rate limiter ready")
        self.redis = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)

    def allow(self, user_id: str, tool: str) -> bool:
        key = f"{self.prefix}:{user_id}:{tool}"
        count = self.redis.incr(key)
        if count == 1:
            self.redis.expire(key, self.window)
        return count <= self.limit
'''


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dana Dev", "GIT_AUTHOR_EMAIL": "dana@example.com",
           "GIT_COMMITTER_NAME": "Dana Dev", "GIT_COMMITTER_EMAIL": "dana@example.com"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture(scope="module")
def story_repo(tmp_path_factory) -> tuple[Path, str]:
    """A checkout replaying the seeds' story: a commit adds rate_limiter.py using redis unimported."""
    return build_story(tmp_path_factory.mktemp("netra"))


# The seed's fix, `f2bd3063c`: the import added beside the file's others, two commits after the deployed one.
RATE_LIMITER_TUNED = RATE_LIMITER.replace("        return count <= self.limit\n",
                                          "        allowed = count <= self.limit\n        return allowed\n")


def build_fixed_story(repo: Path) -> tuple[Path, str, str]:
    """The story carried on: the deployed commit (the one that added rate_limiter.py), then a commit that
    touches the file without fixing it, then the fix, then docs. (checkout, deployed commit, fix commit)"""
    _, deployed = build_story(repo, docs=False)
    package = repo / "netra_backend" / "app" / "services" / "tool_permissions"
    (package / "rate_limiter.py").write_text(RATE_LIMITER_TUNED)
    git(repo, "commit", "-q", "-am", "Rate limiter: name the decision", date="2025-09-12T14:40:00Z")
    (package / "rate_limiter.py").write_text(RATE_LIMITER_TUNED.replace("import logging\n", "import logging\nimport redis\n", 1))
    git(repo, "commit", "-q", "-am", "Import redis in the rate limiter", date="2025-09-12T14:50:00Z")
    fix = git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("after the fix\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Docs after the incident", date="2025-09-12T15:30:00Z")
    return repo, deployed, fix


def build_story(repo: Path, docs: bool = True) -> tuple[Path, str]:
    package = repo / "netra_backend" / "app" / "services" / "tool_permissions"
    package.mkdir(parents=True)
    (repo / "netra_backend" / "app" / "config.py").write_text("REDIS_URL = 'redis://localhost'\n")
    (package / "__init__.py").write_text("")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial backend", date="2025-09-01T10:00:00Z")
    (package / "rate_limiter.py").write_text(RATE_LIMITER)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add per-tool rate limiting", date="2025-09-12T13:40:00Z")
    suspect = git(repo, "rev-parse", "HEAD")
    if docs:
        (repo / "README.md").write_text("after the deploy\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "Docs after the incident", date="2025-09-12T15:30:00Z")
    return repo, suspect


def analyze_json(*args) -> dict:
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--format", "json", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_repo_confirms_the_missing_import_and_names_the_commit(story_repo):
    repo, suspect = story_repo
    incident = analyze_json("--repo", str(repo))["incidents"][0]
    code = incident["code"]
    failing = code["frames"][-1]
    assert failing["repo_path"] == "netra_backend/app/services/tool_permissions/rate_limiter.py"
    assert (failing["line"], failing["status"]) == (22, "mapped")
    assert code["confirmed"] is True
    assert code["confirmation"].startswith("confirmed in code: `redis` is used on line 22 and never imported")
    excerpt = code["excerpts"][-1]
    assert [row["text"] for row in excerpt["lines"] if row["failing"]] == [
        "        self.redis = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)"]
    assert code["suspect"]["commit"] == suspect
    assert code["suspect"]["subject"] == "Add per-tool rate limiting"
    why = incident["five_whys"][3]
    assert why["answer"].startswith(f"Suspect commit {suspect[:10]}")
    unmapped = {f["frame_file"] for f in code["frames"] if f["repo_path"] is None}
    assert unmapped == {"/app/netra_backend/app/main.py", "/app/netra_backend/app/routes/__init__.py"}
    past_end = code["excerpts"][0]
    assert past_end["line"] == 48 and past_end["note"].startswith("line 48 is past the end of the file")


def test_markdown_shows_code_and_suspect(story_repo):
    repo, suspect = story_repo
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--repo", str(repo))
    text = result.stdout.decode()
    assert "## In the code" in text
    assert ">   22          self.redis = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)" in text
    assert f"**Suspect commit:** `{suspect[:10]}`" in text


def test_checkout_without_git_shows_code_but_names_no_commit(story_repo, tmp_path):
    repo, _ = story_repo
    plain = tmp_path / "plain"
    subprocess.run(["cp", "-r", str(repo), str(plain)], check=True)
    subprocess.run(["rm", "-rf", str(plain / ".git")], check=True)
    code = analyze_json("--repo", str(plain))["incidents"][0]["code"]
    assert code["confirmed"] is True and code["suspect"] is None
    assert code["suspect_note"] == f"no commit named: {plain.resolve()} is not a git repository"


def test_without_repo_the_report_is_unchanged():
    assert analyze_json()["incidents"][0]["code"] is None


def test_path_map_explicit_and_failure_cases(tmp_path):
    (tmp_path / "src" / "api").mkdir(parents=True)
    (tmp_path / "src" / "api" / "views.py").write_text("x = 1\n")
    (tmp_path / "src" / "jobs").mkdir()
    (tmp_path / "src" / "jobs" / "utils.py").write_text("")
    (tmp_path / "src" / "api" / "utils.py").write_text("")
    mapper = PathMapper(tmp_path, [("/workspace", "src")])
    assert mapper.map("/workspace/api/views.py") == ("src/api/views.py", "mapped")
    assert mapper.map("/workspace/api/missing.py")[1].startswith("no match: --path-map gives src/api/missing.py")
    by_suffix = PathMapper(tmp_path)
    assert by_suffix.map("/app/api/views.py") == ("src/api/views.py", "mapped")
    assert by_suffix.map("/app/api/utils.py") == ("src/api/utils.py", "mapped")  # the longer suffix decides
    assert by_suffix.map("/app/utils.py") == (None, "no match")  # the file name alone is not enough
    (tmp_path / "lib" / "api").mkdir(parents=True)
    (tmp_path / "lib" / "api" / "utils.py").write_text("")
    assert PathMapper(tmp_path).map("/app/api/utils.py") == (None, "several matches: lib/api/utils.py, src/api/utils.py")
    assert by_suffix.map("/app/nowhere.py") == (None, "no match")
    (tmp_path / "src" / "api" / "__init__.py").write_text("")
    assert PathMapper(tmp_path).map("/app/routes/__init__.py") == (None, "no match")  # not on the file name alone


def test_path_map_option_is_checked():
    result = run_rca("analyze", str(INCIDENT / "gcloud-read.json"), "--repo", ".", "--path-map", "no-equals-sign")
    assert result.returncode == 2 and b"expected FROM=TO" in result.stderr
    missing = run_rca("analyze", str(INCIDENT / "gcloud-read.json"), "--repo", "/nonexistent/checkout")
    assert missing.returncode == 2 and b"--repo /nonexistent/checkout: no such directory" in missing.stderr


def test_html_report_with_code(story_repo, tmp_path):
    repo, suspect = story_repo
    out = tmp_path / "incident.html"
    result = run_rca("analyze", str(INCIDENT / "logs.jsonl"), "--repo", str(repo), "--format", "html", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert "<h2>In the code</h2>" in page and suspect[:10] in page and "Confirmed in code: `redis` is used on line 22" in page  # a sentence, as in Markdown
