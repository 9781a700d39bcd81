"""Failures named by a library's own wording or exception hierarchy where small projects print them (issue 28,
classify29): rules/knowledge/libraries.yaml and the configuration libraries fixtures/knowledge/build.py now reads
(OmegaConf, toml, tomli, tomllib, configparser's document errors). The table's own examples and near misses are checked
by test_knowledge_entries.py; here: the exception types decide by their hierarchy, printed with or without their
module, the code's own mistakes among them stay unknown, the wordings decide over the symptom printed after them,
and every new pattern stays linear on a 100 kB adversarial line."""

import re
import time

import pytest

from rca.classify import signals
from rca.classify.hybrid import classify_text
from rca.classify.rules import RuleSet

RULES = RuleSet.load()


def rules_say(text: str) -> str:
    return classify_text(text, rules=RULES, model=None).cls


@pytest.mark.parametrize("text", [
    # Hydra's composed config read for a key it does not hold (struct mode), with and without the module
    "Traceback (most recent call last):\n  File \"/srv/train.py\", line 31, in main\n    lr = cfg.optim.base_lr\n"
    "omegaconf.errors.ConfigAttributeError: Key 'base_lr' is not in struct\n    full_key: optim.base_lr\n    object_type=dict",
    "ConfigKeyError: Missing key checkpoint_dir\n    full_key: checkpoint_dir\n    object_type=dict",
    "omegaconf.errors.MissingMandatoryValue: Missing mandatory value: dataset.root\n    full_key: dataset.root",
    "omegaconf.errors.InterpolationKeyError: Interpolation key 'paths.data' not found\n    full_key: loader.root",
    # a TOML settings file that does not decode, by each of the three decoders
    "toml.decoder.TomlDecodeError: Unbalanced quotes (line 4 column 9 char 51)",
    "tomli.TOMLDecodeError: Expected '=' after a key in a key/value pair (at line 3, column 8)",
    "tomllib.TOMLDecodeError: Invalid initial character for a key part (at line 2, column 1)",
    # an INI file with a section twice
    "configparser.DuplicateSectionError: While reading from '/etc/relay/relay.ini' [line 12]: section 'smtp' already exists",
])
def test_a_configuration_librarys_own_errors_are_config_errors(text):
    assert rules_say(text) == "config_error"


@pytest.mark.parametrize("text", [
    # the code put a value the config cannot hold, or indexed it wrongly: the code's mistakes
    "omegaconf.errors.UnsupportedValueType: Value 'Tensor' is not a supported primitive type\n    full_key: state",
    "omegaconf.errors.ConfigTypeError: Cannot merge DictConfig with ListConfig",
    "omegaconf.errors.ConfigIndexError: list index out of range\n    full_key: layers[4]",
])
def test_the_codes_own_misuse_of_a_config_object_stays_unknown(text):
    assert rules_say(text) == "unknown"


def test_the_table_records_where_each_new_type_came_from():
    table = signals.knowledge()
    assert signals.exception_class("omegaconf.errors.ConfigAttributeError", table) == "config_error"
    assert signals.exception_class("tomllib.TOMLDecodeError", table) == "config_error"
    assert signals.exception_class("configparser.ParsingError", table) == "config_error"
    assert signals.exception_class("omegaconf.errors.ConfigTypeError", table) == "unknown"
    # configparser's base class is left out: its short name is what other runtimes print (`runtime.Error`, Node's `Error`)
    assert signals.exception_class("Error", table) is None


@pytest.mark.parametrize("text", [
    "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation "
    "code=0x1 addr=0x0 pc=0x4a1f2c]\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:31 +0x2c",
    "Error: Cannot read properties of undefined (reading 'id')\n    at render (/srv/app/views/user.js:14:22)",
])
def test_a_generic_error_type_of_another_runtime_stays_unknown(text):
    assert rules_say(text) == "unknown"


@pytest.mark.parametrize("text, expected", [
    # the coordinator's time-out, then the entity going unavailable (its symptom)
    ("2024-05-02 07:14:09 ERROR (MainThread) [custom_components.heatpump] Timeout fetching heatpump data\n"
     "2024-05-02 07:14:09 WARNING (MainThread) [homeassistant.helpers.entity] Entity sensor.heatpump_flow is unavailable",
     "timeout"),
    # NCCL's watchdog, then the rank's process torn down with SIGABRT
    ("[rank0]:[E ProcessGroupNCCL.cpp:1537] [PG 0 Rank 0] Watchdog caught collective operation timeout: "
     "WorkNCCL(SeqNum=7, OpType=ALLREDUCE, Timeout(ms)=600000) ran for 600033 milliseconds before timing out.\n"
     "torch.distributed.elastic.multiprocessing.api: [ERROR] failed (exitcode: -6) local_rank: 0 (pid: 4121) of binary: /usr/bin/python3",
     "timeout"),
    # a hub's log line of aiohttp's connector error about a database's port is the database's
    ("ERROR (MainThread) [custom_components.energy_db] Cannot connect to host postgres:5432 ssl:default [Connect call failed ('10.1.0.4', 5432)]",
     "db_session_failure"),
    # the Supervisor's ingress proxy printing aiohttp's connector error about the add-on it fronts: the service down
    ("24-02-03 10:11:12 ERROR (MainThread) [supervisor.api.ingress] Ingress error: Cannot connect to host 172.30.33.9:5000 "
     "ssl:default [Connect call failed ('172.30.33.9', 5000)]", "service_unavailable"),
    # aiohttp's connector error whose reason is a time limit is not read as a refusal
    ("Cannot connect to host api.example.org:443 ssl:default [Connection timed out]", "timeout"),
    # the MCP client lists its server as failed after the transport closed
    ("Error during discovery for MCP server 'files': McpError: MCP error -32000: Connection closed\n"
     "MCP server 'files' failed to start", "dependency_connection_failure"),
])
def test_a_librarys_wording_decides_over_what_follows_it(text, expected):
    assert rules_say(text) == expected


@pytest.mark.parametrize("text", [
    # a plain bug in a hub's integration, logged by the same coordinator, stays a plain bug
    "ERROR (MainThread) [custom_components.heatpump] Unexpected error fetching heatpump data\nTraceback (most recent call last):\n"
    "  File \"/config/custom_components/heatpump/api.py\", line 40, in parse\n    return payload['flow'] / payload['count']\n"
    "ZeroDivisionError: division by zero",
    # Streamlit's session state, not its secrets: the app's own state never initialised
    "KeyError: 'st.session_state has no key \"page\". Did you forget to initialize it?'",
    # a word of the wordings inside an identifier
    "AttributeError: 'Trainer' object has no attribute 'watchdog_caught_collective_operation_timeout'",
])
def test_plain_bugs_near_the_wordings_stay_unknown(text):
    assert rules_say(text) == "unknown"


def test_every_new_pattern_stays_linear_on_an_adversarial_line():
    import yaml

    table = yaml.safe_load((signals.knowledge_dir() / "libraries.yaml").read_text(encoding="utf-8"))
    line = "Cannot connect to host " + "a" * 50_000 + " ssl:" + "b" * 50_000
    started = time.process_time()  # CPU time, as the other linear-time tests: a loaded machine's wall clock is not the pattern's
    for entry in table["phrases"]:
        pattern = re.compile(entry["pattern"], re.IGNORECASE)
        pattern.search(line)
        pattern.search("Timeout fetching " + "x " * 50_000)
    assert time.process_time() - started < 1.0


def test_discords_three_wordings_each_have_their_own_anchor():
    # every wording of every table has anchors (test_knowledge_entries.py); this one's three alternatives each
    # need their own, or the wordings after the first would run only where the first's anchor is
    import yaml

    table = yaml.safe_load((signals.knowledge_dir() / "libraries.yaml").read_text(encoding="utf-8"))
    [pattern] = [entry["pattern"] for entry in [*table["phrases"], *table["platforms"]] if "Missing Permissions" in entry["pattern"]]
    anchors = signals.anchors_of(pattern)
    assert anchors is not None and len(anchors) == 3


@pytest.mark.parametrize("text", ["DiscordAPIError: Missing Permissions",
                                  "DiscordAPIError[50013]: Missing Permissions",
                                  "discord.errors.Forbidden: 403 Forbidden (error code: 50013): Missing Permissions"])
def test_discords_missing_permissions_with_or_without_its_code(text):
    assert rules_say(text) == "auth_rejection"
