"""The report helpers of tools/demo.py (the simulated clip and ``cardprep video``: tests/cardprep/test_sim_video.py).

The demo's training is not run here: its report is built from small stand-ins for what the
commands write.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from cardprep.sim import Suit
from cardprep.sim.deck import SUIT_BGR

ROOT = Path(__file__).resolve().parents[1]


def _load_demo():
    spec = importlib.util.spec_from_file_location("cardprep_demo_tool", ROOT / "tools" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


demo = _load_demo()


# -- the demo's pictures and report -------------------------------------------------------------------


METRICS = """step,epoch,images_per_s,lr,loss_d,loss_g_gan,loss_g_l1,val_l1,val_psnr,val_ssim,val_pip_iou
10,1,20,0.002,0.7,0.9,0.30,,,,
20,1,21,0.002,0.6,1.0,0.20,,,,
20,1,,,,,,0.12,20.5,0.70,0.40
30,2,21,0.001,0.5,1.1,0.10,,,,
30,2,,,,,,0.09,23.1,0.75,0.55
"""


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(METRICS.splitlines()))


class TestPictures:
    def test_tile_lays_images_out_in_rows_with_gaps(self):
        images = [np.full((10, 20, 3), v, np.uint8) for v in (0, 50, 100)]
        grid = demo.tile(images, columns=2, gap=4)
        assert grid.shape == (24, 44, 3)
        assert grid[0, 0, 0] == 0 and grid[0, 24, 0] == 50 and grid[14, 0, 0] == 100
        assert grid[14, 24, 0] == 255  # the short row is padded white

    def test_before_after_puts_input_output_target_in_that_order(self):
        make = lambda v: [np.full((8, 8, 3), v, np.uint8)] * 2  # noqa: E731
        grid = demo.before_after(make(10), make(20), make(30))
        assert grid.shape == (20, 24, 3)
        assert [grid[0, x, 0] for x in (0, 8, 16)] == [10, 20, 30]

    def test_spread_takes_first_and_last(self):
        assert demo.spread(list(range(10)), 4) == [0, 3, 6, 9]
        assert demo.spread([1, 2], 4) == [1, 2]

    def test_new_red_share_counts_only_what_turned_red(self):
        club = np.full((10, 10, 3), 235, np.uint8)
        club[:5, :5] = SUIT_BGR[Suit.CLUBS]
        heart = club.copy()
        heart[:5, :5] = SUIT_BGR[Suit.HEARTS]
        assert demo.new_red_share([club], [heart]) == pytest.approx(25.0)
        assert demo.new_red_share([heart], [heart]) == 0.0  # red already in the input is not new

    def test_series_and_best_validation_from_metrics(self):
        rows = _rows()
        train = demo.series(rows, "loss_g_l1")
        assert train.x.tolist() == [10, 20, 30] and train.y.tolist() == [0.3, 0.2, 0.1]
        assert demo.series(rows, "val_l1").x.tolist() == [20, 30]
        assert demo.best_val_row(rows)["step"] == "30"

    def test_no_validation_is_a_clear_error(self):
        with pytest.raises(demo.DemoError, match="no validation"):
            demo.best_val_row([r for r in _rows() if not r["val_l1"]])

    def test_line_chart_draws_each_series_in_its_colour(self):
        chart = demo.line_chart("t", [demo.Series("a", np.array([0.0, 1.0]), np.array([0.0, 1.0])),
                                      demo.Series("b", np.array([0.5]), np.array([0.5]))], size=(200, 150))
        assert chart.shape == (150, 200, 3)
        for colour in demo.CURVE_COLOURS[:2]:
            assert np.all(chart == colour, axis=2).sum() > 5

    def test_empty_chart_says_so(self):
        chart = demo.line_chart("t", [demo.Series("a", np.array([]), np.array([]))])
        assert chart.shape == (280, 420, 3) and chart.min() < 255

    def test_training_curves_are_three_charts(self):
        assert demo.training_curves(_rows()).shape == (280, 3 * 420 + 2 * 4, 3)


class TestPipeline:
    def test_a_failing_command_names_its_step(self):
        with pytest.raises(demo.DemoError, match="step 'fit' failed with exit code 3"):
            demo.run_step("fit", [sys.executable, "-c", "raise SystemExit(3)"])

    def test_an_earlier_run_is_replaced_anything_else_refused(self, tmp_path):
        run = tmp_path / "run"
        run.mkdir()
        (run / "config.json").write_text("{}")
        demo.clear_run(run)
        assert not run.exists()
        run.mkdir()
        (run / "photo.jpg").write_bytes(b"x")
        with pytest.raises(demo.DemoError, match="not a cardtrain run"):
            demo.clear_run(run)
        assert (run / "photo.jpg").exists()

    def test_report_from_what_the_commands_write(self, tmp_path):
        out = _fake_demo_folder(tmp_path / "demo")
        val_sources = demo.write_val_inputs(out / "dataset", out / "val_in", 2)
        for source in val_sources:  # what `cardtrain predict` would write: here, the target itself
            cv2.imwrite(str(out / "val_out" / f"{source.stem}.png"), cv2.imread(str(source))[:, 16:])
        steps = [demo.Step("align", (sys.executable, "-m", "cardprep", "align", "raw", "demo/aligned"), 2.0)]
        result = demo._write_report(out, steps, val_sources, 60.0)

        assert result.best_val["step"] == "30" and result.red_share[0] > 0 and result.red_share[1] > 0
        page = (out / "report.html").read_text()
        assert "<code>cardprep align raw demo/aligned</code>" in page and "pip IoU 0.550" in page
        assert "<b>pip IoU 0.625</b>" in page and result.new_photos["pip_iou"] == 0.625
        for link in ("aligned/report.html", "aligned/overlays/p1.jpg", "video_out.mp4", "before_after.png",
                     "curves.png", "augmented.png", "video_strip.png", "run/metrics.csv", "eval_new/grid.jpg"):
            assert f'"{link}"' in page
        assert "failed" in page and "no card" in page  # the failed pair's row, without a picture
        assert "aligned/overlays/p2.jpg" not in page
        assert cv2.imread(str(out / "before_after.png")).shape == (2 * 16 + 4, 3 * 16, 3)
        assert cv2.imread(str(out / "video_strip.png")).shape == (16, 4 * 32 + 3 * 4, 3)


def _fake_demo_folder(out: Path) -> Path:
    """Small stand-ins for the files the demo's commands write: 16 px pairs, a 5-frame video."""
    club, heart = np.full((16, 16, 3), 235, np.uint8), np.full((16, 16, 3), 235, np.uint8)
    club[4:12, 4:12], heart[4:12, 4:12] = SUIT_BGR[Suit.CLUBS], SUIT_BGR[Suit.HEARTS]
    for split, count in (("train", 3), ("val", 3)):
        (out / "dataset" / split).mkdir(parents=True)
        for i in range(count):
            cv2.imwrite(str(out / "dataset" / split / f"{i:04d}_p1.jpg"), np.concatenate([club, heart], axis=1))
    (out / "val_out").mkdir()
    (out / "run").mkdir()
    (out / "run" / "metrics.csv").write_text(METRICS)
    (out / "aligned").mkdir()
    (out / "aligned" / "report.csv").write_text(
        "pair,status,reason,homography,orientation,score,rank,rank_b,residual_px,seconds,a_file,b_file\n"
        "p1,ok,,1 0 0 0 1 0 0 0 1,180,0.97,7,7,0.2,1.0,A/p1.jpg,B/p1.jpg\n"
        "p2,failed,no card found in B,,0,,,,,0.5,A/p2.jpg,B/p2.jpg\n")
    (out / "eval_new").mkdir()
    (out / "eval_new" / "metrics.json").write_text('{"l1": 0.1, "psnr": 20.0, "ssim": 0.7, "pip_iou": 0.625}')
    writer = cv2.VideoWriter(str(out / "video_out.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 5, (32, 16))
    for _ in range(5):
        writer.write(np.concatenate([club, heart], axis=1))
    writer.release()
    return out
