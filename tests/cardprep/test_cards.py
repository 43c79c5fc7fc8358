"""Reading a rectified card's face: rank by pip count, face panels, suit colour, on the built-in
designs and on real designs, against the rank and suit each card was drawn as."""

from __future__ import annotations

import numpy as np
import pytest

from cardprep.cards import ink_map, read_face
from cardprep.sim import Design
from cardprep.spec import FACE_RANKS, RANKS
from tests.cardprep.card_faces import face, photographed

REAL = ("aguilar", "bellot", "geaxgx", "kennard", "kennard-bigindex")


@pytest.mark.parametrize("design", [d.value for d in Design] + list(REAL))
def test_rank_face_and_colour_are_read_on_every_design(design):
    # among them: Bellot's ace of clubs in a wreath (the wreath is no pip), Kennard's big-index
    # faces in a pale, thinly framed panel, and the dark-faces design's dark border band
    for i, rank in enumerate(RANKS):
        for suit, colour in (("clubs", "black"), ("hearts", "red")):
            card = read_face(photographed(face(design, rank, suit), seed=i, turned=i % 2 == 1))
            if rank in FACE_RANKS:
                assert card.face and card.rank == "face", (rank, suit, card)
            else:
                assert card.rank == rank and card.colour == colour, (rank, suit, card)


def test_a_light_gradient_leaves_the_paper_clear_and_the_pips_inked():
    card = face("kennard", "5", "hearts").astype(np.float32)
    shade = np.linspace(1.0, 0.45, card.shape[1], dtype=np.float32)[None, :, None]  # light from the left
    dim = (card * shade).astype(np.uint8)
    ink, _ = ink_map(dim)
    pips = read_face(dim).pips
    assert len(pips) == 5
    inner = ink[40:-40, 40:-40]
    assert np.percentile(inner, 50) < 0.05  # the paper, even on the dark side
    for pip in pips:
        left, top, width, height = pip.box
        assert ink[top + height // 2, left + width // 2] > 0.6
