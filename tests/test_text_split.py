"""harness.text._segment gives exactly pysbd's sentences (Segmenter.segment, clean=False)."""

from conftest import CANDIDATES, GOLD
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.text import _segment, _segmenter

PIECES = ["Dr. Smith", "said", "it", "rose 3.5%", "in the U.S.", "on Jan. 9", '"Yes."', "(see p. 4)", "well", "1."]
SEPARATORS = [" ", ". ", "! ", "? ", "\n", "\n\n", ".\u00a0", "... ", " - ", "\t"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=25))
def test_same_sentences_as_pysbd(parts):
    text = "".join(piece + separator for piece, separator in parts)
    assert _segment(text) == _segmenter().segment(text)


def test_same_sentences_as_pysbd_on_the_example_story():
    files = sorted(GOLD.glob("*.txt")) + sorted(CANDIDATES.iterdir())
    assert len(files) >= 5
    for path in files:
        text = path.read_text("utf-8")
        assert _segment(text) == _segmenter().segment(text), path.name
