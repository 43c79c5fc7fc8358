"""The physical playing card every part of cardprep assumes: size, ranks, and which ranks
change under a half turn. The simulator draws to this spec; align, cards and augment read it.
"""

from __future__ import annotations

CARD_WIDTH_MM = 63.0  # poker size, the usual photographed card (bridge cards are 57 x 89)
CARD_HEIGHT_MM = 88.0
RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K")
FACE_RANKS = ("J", "Q", "K")
# Ranks whose standard pip layout differs under a half turn: the ones the seed checked by eye.
ODD_RANKS = ("A", "3", "5", "7", "9")
