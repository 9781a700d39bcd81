"""Issue 29, item 11: a settings file's mistakes are reported as the file's, naming the file, the key
and the value (never as a flag the user did not pass), and no TOML, however deep, ends in a traceback."""

import pytest
from conftest import INCIDENT, run_rca

from rca.config import ConfigError, find_config

SEED = str(INCIDENT / "logs.jsonl")


@pytest.mark.parametrize("name, table", [("rca.toml", ""), ("pyproject.toml", "[tool.rca]\n")])
@pytest.mark.parametrize("line, key, value", [('path_maps = ["/app=.", "/app"]', "path_maps", "'/app'"),
                                              ('path_maps = ["=."]', "path_maps", "'=.'"),
                                              ('service_map = ["k8s1-web"]', "service_map", "'k8s1-web'"),
                                              ('service_map = ["k8s1-web="]', "service_map", "'k8s1-web='")])
def test_a_malformed_map_entry_names_the_file_the_key_and_the_value(tmp_path, name, table, line, key, value):
    path = tmp_path / name
    path.write_text(f"{table}{line}\n")
    with pytest.raises(ConfigError, match=f"{key}: {value} is not FROM=TO"):
        find_config(tmp_path)
    result = run_rca("analyze", SEED, "--model", "none", cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 2 and err == f"rca: error: {path}: {key}: {value} is not FROM=TO (like " + \
        ('"/app=."' if key == "path_maps" else '"k8s1-abc-default-web-8080-xyz=web"') + ")\n"
    assert "--path-map" not in err and "--service-map" not in err


def test_well_formed_maps_are_taken_as_they_are(tmp_path):
    (tmp_path / "rca.toml").write_text('path_maps = ["/app="]\nservice_map = ["k8s1-web=web"]\n')
    config = find_config(tmp_path)
    assert config.path_maps == ["/app="] and config.service_map == ["k8s1-web=web"]


@pytest.mark.parametrize("text, problem", [
    ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "arrays or tables nested too deeply"),
    ("a = " + "{b = " * 5_000 + "1" + "}" * 5_000 + "\n", "arrays or tables nested too deeply"),
    ("a." * 100_000 + "b = 1\n", "keys nested too deeply"),
    ("[" + "a." * 100_000 + "b]\n", "keys nested too deeply"),
])
@pytest.mark.parametrize("name", ["rca.toml", "pyproject.toml"])
def test_deeply_nested_toml_is_one_clear_error(tmp_path, text, problem, name):
    (tmp_path / name).write_text(text)
    result = run_rca("analyze", SEED, "--model", "none", cwd=tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert err == f"rca: error: {tmp_path / name}: not a TOML file rca can read: {problem}\n"
