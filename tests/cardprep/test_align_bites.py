"""align's checks that only bite on a wrong pair (issue 15: mutations that passed the suite).

tools/mutations.py skips each check in a copy of the code: these tests are what fails then.
"""

import pytest

from cardprep.align import Status, align_pair
from tests.cardprep.conftest import make_pair


@pytest.fixture(scope="module")
def five():
    return make_pair("5", 3)


def test_a_black_card_given_as_b_is_flagged_naming_its_colour(five):
    """B should be the heart card: a club card in B's place (the same photo twice) is written
    but flagged, the reason naming the colour read; the right pair is not flagged."""
    right, _ = align_pair(five.photo_a, five.photo_b)
    assert right.status is Status.OK, right.reason
    wrong, images = align_pair(five.photo_a, five.photo_a)
    assert wrong.status is Status.FLAGGED and images is not None
    assert wrong.reason == "B's pips are black, not red: wrong card?"


def test_a_b_of_another_rank_is_flagged_naming_both(five):
    """The same seed draws the same camera, table and placement for any rank: a seven's B photo
    lies exactly where the five's does, so the pair registers and only the ranks differ."""
    seven = make_pair("7", 3)
    assert (seven.corners_b == five.corners_b).all()
    result, images = align_pair(five.photo_a, seven.photo_b)
    assert result.status is Status.FLAGGED and images is not None
    # Its pips disagree with A's too, so orientation may also be flagged as uncertain.
    assert result.reason.split("; ")[0] == "rank differs: A reads 5, B reads 7"
