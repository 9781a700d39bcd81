"""The five whys as data: each fact said once, so that the JSON report and every rendering agree."""

from conftest import INCIDENT

from rca.analyze.analysis import analyze
from rca.report.markdown import to_dict, to_markdown


def test_what_the_logs_say_is_written_once_in_the_json_whys():
    """The prompts the logs cannot answer shared one sentence of facts; the view used to drop the
    repeat by matching sentences, so the JSON `five_whys` still said it twice."""
    result = analyze(INCIDENT / "logs.jsonl", model=None)
    whys = to_dict(result)["incidents"][0]["five_whys"]
    prompts = [number for number, why in enumerate(whys, 1) if why["answer"].startswith("To be answered")]
    assert len(prompts) == 2
    said = [why["answer"].count("What the logs say:") for why in whys]
    assert said[prompts[0] - 1] == 1 and sum(said) == 1
    assert f"what the logs say is under why {prompts[0]}." in whys[prompts[1] - 1]["answer"]
    assert to_markdown(result).count("What the logs say:") == 1
