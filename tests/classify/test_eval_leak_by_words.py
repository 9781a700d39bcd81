"""`rca eval`'s refit leaves out a training row that is the evaluated row's text indented or wrapped
differently (review6): the model's words do not see whitespace, so such a row is the same text to it.
The real corpora hold 19 of them across files (a pod's `Reason: OOMKilled` block from two repositories,
Django's SECRET_KEY error with and without its indentation)."""

from rca.classify.evaluate import without_rows_of
from rca.classify.model import TRAINING_FILES, read_corpus, training_file, training_rows

OOM = "Last State:     Terminated\n  Reason:       OOMKilled\n  Exit Code:    137"


def test_a_row_indented_otherwise_is_left_out_of_the_refit():
    training = [{"text": "      " + OOM.replace("\n  ", "\n      "), "label": "resource_exhaustion"},
                {"text": "KeyError: 'x'", "label": "unknown"}]
    kept, dropped = without_rows_of(training, [{"text": OOM, "label": "resource_exhaustion"}])
    assert (kept, dropped) == ([training[1]], 1)


def test_no_spent_files_text_stays_in_its_refit_under_other_whitespace():
    rows = training_rows()
    for package, name in TRAINING_FILES[1:]:
        scored = read_corpus(training_file(package, name))
        words = {" ".join(row["text"].split()) for row in scored}
        kept, _ = without_rows_of(rows, scored)
        assert not [row["text"] for row in kept if " ".join(row["text"].split()) in words], name
