"""The shared masks (rca.events.masks): ids joined to a word are masked whatever their case or the
number of words before them, and words that hold no digit are left alone."""

import pytest

from rca.events.masks import mask

MASKED = {
    "run_8f3a2b1 failed": "<id> failed",
    "job_1c0ffee failed": "<id> failed",
    "run_8F3A2B1 failed": "<id> failed",
    "session sess_AbC123xY expired": "session <id> expired",
    "sync_run_8f3a2b1 failed": "<id> failed",
    "batch-job_a1b2c3d failed": "<id> failed",
    "pod checkout-5d8f7c9b4-x7k2p died": "pod <id> died",
}
LEFT = ["user_name is missing", "max_pool_size reached", "job_cafe done"]


@pytest.mark.parametrize("text", MASKED)
def test_an_id_joined_to_a_word_is_masked_whole(text):
    assert mask(text) == MASKED[text]


@pytest.mark.parametrize("text", LEFT)
def test_words_without_a_digit_stay(text):
    assert mask(text) == text
