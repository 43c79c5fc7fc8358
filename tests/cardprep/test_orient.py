"""Orientation of B against A on the built-in deck and on real designs, against exact truth:
each pair is made from deck faces with B laid as it was or by a half turn."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cardprep.cards import read_face
from cardprep.orient import CONFIDENT, OrientationDecision, decide_orientation
from tests.cardprep.card_faces import BUILT_IN, face, photographed, pip_box

ODD = ("A", "3", "5", "7", "9")
DESIGNS = (BUILT_IN, "kennard", "bellot")


def pair(design: str, rank: str, seed: int, *, turned: bool) -> tuple[np.ndarray, np.ndarray]:
    """A as the club card upright, B as the heart card, both as rectified photos."""
    return (photographed(face(design, rank, "clubs"), seed),
            photographed(face(design, rank, "hearts"), seed + 1, turned=turned))


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("rank", ODD)
def test_odd_ranks_are_decided_right_with_confidence(design, rank):
    for turned in (False, True):
        decision = decide_orientation(*pair(design, rank, 10, turned=turned))
        assert decision.matters, (turned, decision)
        assert decision.turn == turned, (turned, decision)
        assert decision.confidence > 0.9 and not decision.uncertain, (turned, decision)


@pytest.mark.parametrize("design,rank", [(BUILT_IN, r) for r in ("2", "4", "6", "8", "10")]
                         + [("kennard", r) for r in ("2", "4", "10")] + [("bellot", "8")])
def test_point_symmetric_cards_do_not_matter(design, rank):
    for turned in (False, True):
        decision = decide_orientation(*pair(design, rank, 20, turned=turned))
        assert not decision.matters and not decision.turn, (turned, decision)


@pytest.mark.parametrize("rank", ["6", "8"])
def test_one_way_side_pips_make_six_and_eight_matter(rank):
    # the built-in dark-faces design: classic pips, the middle-row side pips both upright
    assert not np.array_equal(face("dark-faces", rank, "hearts"), face("dark-faces", rank, "hearts")[::-1, ::-1])
    for turned in (False, True):
        decision = decide_orientation(*pair("dark-faces", rank, 30, turned=turned))
        assert decision.matters and decision.turn == turned and not decision.uncertain, (turned, decision)


@pytest.mark.parametrize("rank", ["6", "8"])
def test_a_real_design_with_one_way_side_pips(rank):
    for turned in (False, True):
        decision = decide_orientation(*pair("kennard", rank, 40, turned=turned))
        assert decision.matters and decision.turn == turned and not decision.uncertain, (turned, decision)


@pytest.mark.parametrize("design", [BUILT_IN, "bellot", "kennard-bigindex"])
@pytest.mark.parametrize("rank", ["J", "Q", "K"])
def test_symmetric_face_art_is_never_a_confident_answer(design, rank):
    for turned in (False, True):
        decision = decide_orientation(*pair(design, rank, 50, turned=turned))
        assert not decision.turn and (not decision.matters or decision.uncertain), (turned, decision)


def test_face_art_that_differs_turned_is_uncertain():
    a, b = face(BUILT_IN, "K", "clubs"), face(BUILT_IN, "K", "hearts")
    for card in (a, b):  # the lower figure painted over: the art is one-way now
        card[230:370, 70:245] = card[235, 100]
    decision = decide_orientation(photographed(a, 60), photographed(b, 61, turned=True))
    assert decision.matters and decision.uncertain and not decision.turn


@pytest.mark.parametrize("design", [BUILT_IN, "kennard"])
def test_a_smudged_pip_lowers_confidence_down_to_uncertain(design):
    a = photographed(face(design, "A", "clubs"), 70)
    b = face(design, "A", "hearts")
    rows, cols = pip_box(31.5, 44.0, 30.0)
    decisions = []
    for smear_px in (1, 40, 80):  # the ace's pip smeared up and down
        smudged = b.copy()
        smudged[rows, cols] = cv2.blur(b[rows, cols], (1, smear_px))
        decisions.append(decide_orientation(a, photographed(smudged, 71, turned=True)))
    confidences = [d.confidence for d in decisions]
    assert confidences == sorted(confidences, reverse=True) and len(set(confidences)) == 3, decisions
    assert decisions[0].turn and not decisions[0].uncertain
    assert decisions[-1].uncertain and not decisions[-1].turn  # kept and flagged, never guessed
    assert all(d.turn or d.uncertain for d in decisions)  # never the wrong way with confidence


def test_a_card_without_pips_is_uncertain_not_guessed():
    a = photographed(face(BUILT_IN, "3", "clubs"), 80)
    blank = np.full_like(a, 235)
    decision = decide_orientation(a, blank)
    assert decision == OrientationDecision(False, 0.0, decision.evidence, True)
    assert decision.uncertain and decision.confidence < CONFIDENT


@pytest.mark.parametrize("design", [BUILT_IN, "kennard", "bellot"])
@pytest.mark.parametrize("rank", ["A", "3", "7"])
def test_a_badly_blurred_pair_is_right_or_flagged_never_called_symmetric(design, rank):
    for turned in (False, True):
        a, b = (cv2.GaussianBlur(card, (0, 0), 6.0) for card in pair(design, rank, 90, turned=turned))
        decision = decide_orientation(a, b)
        assert decision.matters, (turned, decision)
        assert decision.uncertain or decision.turn == turned, (turned, decision)


def test_faces_read_by_the_caller_give_the_same_decision():
    a, b = pair("kennard", "5", 100, turned=True)
    assert decide_orientation(a, b, faces=(read_face(a), read_face(b))) == decide_orientation(a, b)
