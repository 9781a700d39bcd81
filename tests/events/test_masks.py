"""The shared masks (rca.events.masks): ids joined to a word are masked whatever their case or the
number of words before them, and words that hold no digit are left alone."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rca.events.masks import MASKS, NEEDS, SHAPES, mask

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


def masked_by_every_pattern(text: str, style: str, leave: tuple[str, ...]) -> str:
    """Masking as it was before patterns were passed over: each one run on every text."""
    for name, pattern in MASKS:
        if name not in leave:
            text = pattern.sub(style.format(name), text)
    return text


PIECES = ["https://api.example.com/v1/x?id=7", "0x1f", "deadbeef12", "user_1842", "req-7f3c9a", "/srv/app/main.py",
          "'redis'", '"quoted"', "12 ms", "3.5 s", "10 MB", "512 bytes", "10.1.2.3:8080", "10.1.2.3", "2025-09-12T14:20:00Z",
          "2025-09-12 14:20", "id 7f3c9a12-", "sess_AbC123xY",
          "efcb0768-06de-dd83-fc21-4abe2e6f3753", "abcdefab-abcd-abcd-abcd-abcdefabcdef", "42", "ok", "B", "byte",
          ":", "-", "_", ".", "/", "'", '"', "://", " ", "\n",
          # what the masks' shapes look for (SHAPES), in the forms a match may take
          "0X1F", "DEADBEEF12", "5µs", "7 µs", "3 h", "2 min", "9 KiB", "4 bytes", "2025-09-12", "1.2.3", "1.2.3.4",
          "\u0663\u0664", "ab-c12", "x_9", "Ab_12Cd"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(alphabet="0123456789abfxBMs_-./:'\" <>", max_size=8), max_size=12),
       st.sampled_from(["<{}>", " {} ", "{}", "-{}/", "'{}'"]), st.sampled_from([(), ("str",), ("url", "n")]))
def test_passing_over_a_pattern_that_cannot_match_masks_as_running_it(pieces, style, leave):
    text = "".join(pieces)
    assert mask(text, style, leave) == masked_by_every_pattern(text, style, leave)


# Texts at the edges of the shapes a mask is tested for first: digits of other scripts (which `\d`
# matches), spaces that are not ASCII, upper-case hex, IPv6, the micro sign and the Greek mu, an id
# right after digits, a unit's first letter in upper case.
UNUSUAL = ["took \u0663\u0664ms", "took \uff11\uff12 s", "took 5\u2009ms", "size 12\u00a0MB", "\u0662\u0660\u0662\u0665-\u0660\u0669-\u0661\u0662 14:20",
           "addr 0XDEADBEEF", "sha DEADBEEF12 and 0x1F", "peer fe80::1ff:fe23:4567:890a", "peer ::ffff:10.1.2.3:443",
           "5\u00b5s", "5 \u03bcs", "7 MS elapsed", "5user_123 and 9-run_8f3a", "run_\u0663\u0664\u0665 failed", "x_9 y-ab12",
           "1.2.3", "v1.2.3.4.5", "2025-09-12T14:20:00.123+02:00", "at 2025-9-12 14:20"]


@pytest.mark.parametrize("text", UNUSUAL)
def test_a_mask_tested_for_its_shape_first_masks_as_running_it(text):
    for style, leave in (("<{}>", ()), (" {} ", ("str",))):
        assert mask(text, style, leave) == masked_by_every_pattern(text, style, leave)


def test_every_pattern_named_as_passed_over_is_a_mask():
    assert set(NEEDS) | set(SHAPES) <= {name for name, _ in MASKS}
