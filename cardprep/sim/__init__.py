"""The photo simulator: card pairs and clips with exact ground truth, for samples, tests and
benchmarks. A tool, not the product: align, detect, register and cards never import it
(tests/test_layering.py says so).

Modules: ``deck`` (the built-in deck, its designs, the :class:`Deck` interface), ``faces``
(decks loaded from card images), ``surfaces`` (tables), ``camera`` (pinhole camera, card
frame), ``render`` (a photo from table, cards, light and sensor), ``photos`` (pairs and sets
with truth.csv), ``video`` (a clip). Everything a caller needs is exported here.
"""

from cardprep.sim.camera import CARD_CENTRE_MM, CARD_CORNERS_MM, Camera, card_scale
from cardprep.sim.deck import (
    STYLES, BuiltInDeck, CardImage, Deck, Design, PipShape, Style, Suit, draw_card, pip_layout, suit_polygons,
)
from cardprep.sim.faces import FaceDeck, card_of, load_deck
from cardprep.sim.photos import (
    SimConfig, SimPair, SimSummary, TurnedRanks, deck_plan, pair_jpegs, simulate_pair, simulate_set, truth_row,
)
from cardprep.sim.render import TableSurface, render_photo
from cardprep.sim.surfaces import SurfaceKind, make_surface
from cardprep.sim.video import Clip, VideoSummary, plan_clip, render_clip, simulate_video

__all__ = [
    "CARD_CENTRE_MM", "CARD_CORNERS_MM", "STYLES", "BuiltInDeck", "Camera", "CardImage", "Clip", "Deck", "Design",
    "FaceDeck", "PipShape", "SimConfig", "SimPair", "SimSummary", "Style", "Suit", "SurfaceKind", "TableSurface",
    "TurnedRanks",
    "VideoSummary", "card_of", "card_scale", "deck_plan", "draw_card", "load_deck", "make_surface", "pair_jpegs",
    "pip_layout", "plan_clip", "render_clip", "render_photo", "simulate_pair", "simulate_set", "simulate_video",
    "suit_polygons", "truth_row",
]
