"""The photo simulator: card pairs and clips with exact ground truth, for samples, tests and
benchmarks. A tool, not the product: align, detect, register and cards never import it.
"""

from cardprep.sim.photos import SimConfig, SimPair, SimSummary, deck_plan, simulate_pair, simulate_set, truth_row
from cardprep.sim.video import plan_clip, render_clip, simulate_video

__all__ = ["SimConfig", "SimPair", "SimSummary", "deck_plan", "plan_clip", "render_clip", "simulate_pair",
           "simulate_set", "simulate_video", "truth_row"]
