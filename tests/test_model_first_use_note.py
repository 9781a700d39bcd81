"""The note a first use prints says what is built and how long it takes (review6): since the model learns
the real excerpts too (issue 28) its first build costs ~15 CPU-s, not the ~10 s the note said."""

from rca import cli


def test_the_first_use_note_names_the_real_excerpts_and_its_cost(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path))  # no cached model: the first use
    model = cli._load_model_or_exit("default")
    note = capfd.readouterr().err
    assert note.strip() == "rca: building the classifier from the shipped corpora, generated and real (first use only, about 15 s)"
    assert type(model).__name__ == "LazyModel" and not list(tmp_path.iterdir())  # nothing trained yet: the note came first
