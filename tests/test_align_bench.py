"""benchmarks/align_bench.py scores pairs by its docstring's rules: exact homographies, known verdicts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from cardprep import geometry
from cardprep.align import AlignResult, Status

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
CORNERS_A = np.array([[100.0, 80.0], [420.0, 95.0], [405.0, 540.0], [90.0, 525.0]])
CORNERS_B = np.array([[130.0, 60.0], [450.0, 70.0], [445.0, 515.0], [125.0, 505.0]])


@pytest.fixture(scope="module")
def bench():
    """The script as a module; it imports orient_bench from its own folder, as when run."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("align_bench_under_test", BENCHMARKS / "align_bench.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))
        sys.modules.pop("align_bench_under_test", None)


def truth(bench, pair: str, rank: str, orientation: int, matters: bool):
    return bench.Truth(pair, rank, orientation, CORNERS_A, CORNERS_B, matters)


def onto(corners_a: np.ndarray, shift_px: float = 0.0) -> np.ndarray:
    """The homography laying CORNERS_B on ``corners_a``, every corner then ``shift_px`` off in x."""
    return geometry.quad_homography(CORNERS_B, corners_a + [shift_px, 0.0])


def result(pair: str, homography: np.ndarray | None, orientation: int, *, confidence: float = 0.97,
           reason: str = "") -> AlignResult:
    status = Status.FAILED if homography is None else Status.FLAGGED if reason else Status.OK
    return AlignResult(pair=pair, status=status, reason=reason, homography=homography, orientation=orientation,
                       orientation_confidence=confidence, orientation_source="pips", seconds=0.5)


def test_a_two_pair_set_is_scored_by_the_rules(bench):
    # A 7 that lay upside down, found and turned, 0.3 px off; a 2 that align turned: it looks
    # the same turned, so its corner error is against the turned truth, yet the turn is a false flip.
    truths = [truth(bench, "00-7", "7", 180, True), truth(bench, "01-2", "2", 0, False)]
    results = [result("00-7", onto(CORNERS_A, 0.3), 180), result("01-2", onto(np.roll(CORNERS_A, 2, axis=0)), 180)]
    run = bench.score("align", [bench.align_estimate(r) for r in results], truths)

    assert [o.verdict for o in run.outcomes] == [bench.Verdict.RIGHT, bench.Verdict.FALSE_FLIP]
    np.testing.assert_allclose(run.outcomes[0].errors, 0.3, atol=1e-6)
    np.testing.assert_allclose(run.outcomes[1].errors, 0.0, atol=1e-6)
    np.testing.assert_allclose(bench.corner_stats(run.outcomes), np.percentile([0.3] * 4 + [0.0] * 4, [50, 95, 100]),
                               atol=1e-6)


@pytest.mark.parametrize(("rank", "orientation", "matters", "align_turn", "reason", "confidence", "verdict", "error"), [
    ("A", 180, True, 0, "", 0.95, "MISSED_FLIP", "card"),  # kept an upside-down ace: off by the card
    ("A", 180, True, 0, "orientation uncertain (weak): B kept as it lay", 0.4, "UNCERTAIN", "card"),
    ("9", 0, True, 0, "orientation uncertain (weak): B kept as it lay", 0.5, "UNCERTAIN", "zero"),  # never right
    ("6", 0, True, 180, "", 0.9, "FALSE_FLIP", "card"),  # a one-way 6 turned
    ("4", 0, False, 0, "", 1.0, "RIGHT", "zero"),
    ("K", 0, False, 0, "", 0.5, "UNCERTAIN", "zero"),  # kept, but not on confident evidence
])
def test_each_verdict(bench, rank, orientation, matters, align_turn, reason, confidence, verdict, error):
    homography = onto(np.roll(CORNERS_A, 2, axis=0) if orientation != align_turn else CORNERS_A)
    estimate = bench.align_estimate(result("p", homography, align_turn, confidence=confidence, reason=reason))
    outcome = bench.judge(estimate, truth(bench, "p", rank, orientation, matters))

    assert outcome.verdict is bench.Verdict[verdict]
    diagonal = np.linalg.norm(CORNERS_A[0] - CORNERS_A[2])  # the longer one: a half turn off
    if error == "card":
        assert outcome.errors.max() == pytest.approx(diagonal, rel=1e-6)
    else:
        np.testing.assert_allclose(outcome.errors, 0.0, atol=1e-6)


def test_a_failed_pair_counts_as_failed_and_stays_out_of_the_corner_errors(bench):
    truths = [truth(bench, "a", "3", 0, True), truth(bench, "b", "5", 0, True)]
    results = [result("a", None, 0, reason="A: no card found"), result("b", onto(CORNERS_A, 1.0), 0)]
    run = bench.score("align", [bench.align_estimate(r) for r in results], truths)

    assert [o.verdict for o in run.outcomes] == [bench.Verdict.FAILED, bench.Verdict.RIGHT]
    np.testing.assert_allclose(bench.corner_stats(run.outcomes), [1.0, 1.0, 1.0], atol=1e-6)
    row = bench.table_row("x", run.outcomes, (1.0,))
    assert row.split()[1:4] == ["2", "0", "1"]  # pairs, upside down, failed


def test_a_baseline_that_lands_a_quarter_turn_off_is_not_right(bench):
    estimate = bench.Estimate("p", onto(np.roll(CORNERS_A, 1, axis=0)), 0.1)
    assert bench.judge(estimate, truth(bench, "p", "3", 0, True)).verdict is bench.Verdict.QUARTER
