"""The model's texts are remembered only while it trains (rca.classify.model: `_normalised`,
`_remembered_signal_words`): a prediction reads each text as the masks in force say, and holds none of them after."""

from __future__ import annotations

import re

from rca.classify import model


def zebra_masked(monkeypatch) -> None:
    """A mask list changed at run time: a word the shipped masks leave becomes `zebra`."""
    monkeypatch.setattr(model, "MODEL_MASKS", [("zebra", None, re.compile("Stripes"))] + list(model.MODEL_MASKS))


def test_a_prediction_reads_the_text_with_the_masks_in_force(monkeypatch):
    text = "ValueError: Stripes out of range (review5 cache test)"
    assert "Stripes" in model.normalise_texts([text])[0]
    zebra_masked(monkeypatch)
    assert model.normalise_texts([text]) == [model.normalise(text)]
    assert "Stripes" not in model.normalise_texts([text])[0]


def test_a_prediction_holds_no_text_after_it():
    text = "KeyError: 'review5-held-after-prediction'" + " padding" * 2000
    model.normalise_texts([text])
    model.signal_documents([text])
    assert model._normalised.cache_info().currsize == 0
    assert model._remembered_signal_words.cache_info().currsize == 0


def test_while_training_each_text_is_read_once_and_forgotten_after(monkeypatch):
    monkeypatch.setattr(model, "make_pipeline", _pipeline_reading_twice)
    monkeypatch.setattr(model, "out_of_fold_probabilities", lambda rows: _probabilities(len(rows)))
    monkeypatch.setattr(model, "claimed_by_rules", lambda texts, rules=None: [None] * len(texts))
    model.train([{"text": f"review5 text {n}", "label": "timeout" if n % 2 else "unknown"} for n in range(6)])
    assert READS == {"normalised": 6, "hits": 6}
    assert model._normalised.cache_info().currsize == 0


READS: dict[str, int] = {}


def _probabilities(rows: int):
    import numpy as np

    return np.tile([0.5, 0.5], (rows, 1))


class _pipeline_reading_twice:
    """The pipeline's normalising step fitted twice over the same texts, as training's folds do."""

    classes_ = ["timeout", "unknown"]

    def fit(self, texts, labels):
        before = model._normalised.cache_info()
        model.normalise_texts(texts)
        model.normalise_texts(texts)
        after = model._normalised.cache_info()
        READS.update(normalised=after.misses - before.misses, hits=after.hits - before.hits)
        return self
