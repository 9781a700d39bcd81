"""rca.classify.substrings: one scan answers what a loop of `needle in text` tests would."""

from hypothesis import given
from hypothesis import strategies as st

from rca.classify.substrings import Substrings

LETTERS = st.text(alphabet="aAbB .\u212a\u0130\u03a3k", max_size=30)  # the Kelvin sign, a dotted I, a capital sigma


@given(exact=st.lists(st.text(alphabet="aAbB .k\u212a", min_size=1, max_size=4), max_size=6),
       folded=st.lists(st.text(alphabet="ab .k", min_size=1, max_size=4), max_size=6), text=LETTERS)
def test_the_strings_found_are_those_held(exact, folded, text):
    lower = text.lower()
    assert Substrings(exact, folded).find(text, lower) == ({s for s in exact if s in text}, {s for s in folded if s in lower})


def test_one_string_both_as_written_and_folded():
    found = Substrings(exact=["OOMKilled", "SIG"], folded=["oomkilled"])
    assert found.find("pod OOMKilled", "pod oomkilled") == ({"OOMKilled"}, {"oomkilled"})
    assert found.find("pod oomkilled; design", "pod oomkilled; design") == (set(), {"oomkilled"})
    assert Substrings().find("anything", "anything") == (set(), set())
