"""Deliberate bugs, each put into a temporary copy of the repository: the suite must catch every one.

    .venv/bin/python tools/mutations.py              # every mutation, one after another
    .venv/bin/python tools/mutations.py --only ecc-deleted,b-card-moved
    .venv/bin/python tools/mutations.py --list

Issue 15: a test suite that passes whatever the code does proves nothing. Each mutation below
replaces one exact snippet of product code (it must occur exactly once, else the mutation is
STALE and the run fails: a refactor cannot silently leave a mutation that no longer applies)
in a fresh copy of the working tree (``git ls-files -co --exclude-standard``: tracked and
untracked, not ignored), then runs its tests there with ``pytest -x``. A mutation is caught
when pytest reports a failing test (exit 1) and that test passes again once the file is
restored (another engineer's half-finished edit can break a test for everyone); a collection
error, no tests or a timeout is no proof and counts against the run. The table says which test
caught each and how long it took. Exit 0 when every mutation was caught, 1 otherwise.

The copy's own packages are imported (PYTHONPATH points at it, ahead of the editable
install), checked before the first mutation runs.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 600
_GRACE_S = 30  # after a timeout's SIGTERM, before SIGKILL


@dataclass(frozen=True)
class Mutation:
    """One deliberate bug: ``old`` (exactly once in ``path``) becomes ``new``; ``tests`` must fail."""

    name: str
    item: str  # where it comes from: "15.1" is issue 15, item 1
    path: str  # relative to the repository root
    old: str
    new: str
    tests: tuple[str, ...]  # pytest paths or node ids, relative to the root


_PIPELINE = "cardprep/align/pipeline.py"
_PIXELS = "tests/cardprep/test_align_pixels.py"
_WRITTEN_B = f"{_PIXELS}::test_the_card_in_written_b_lies_where_the_truth_puts_it"
_CARD_B_WARP = "card_b = source_b.warp(out_from_a @ a_from_b, shape)"

MUTATIONS: tuple[Mutation, ...] = (
    Mutation("b-card-moved", "15.1", _PIPELINE, _CARD_B_WARP,
             "card_b = source_b.warp(geometry.translation(8, 6) @ out_from_a @ a_from_b, shape)",
             (_WRITTEN_B,)),
    Mutation("b-table-turned", "15.1", _PIPELINE,
             "background = a_from_b @ turn_b if orientation.turned else a_from_b", "background = a_from_b",
             (_WRITTEN_B,)),
    Mutation("b-written-with-a-homography", "15 (done when)", _PIPELINE, _CARD_B_WARP,
             "card_b = source_b.warp(out_from_a, shape)", (_WRITTEN_B,)),
    Mutation("shrink-pixel-centres-ignored", "15.1", "cardprep/warp.py",
             "geometry.resize_map(photo.shape, size))",
             "geometry.scaling(factor))",
             ("tests/cardprep/test_warp_bites.py", _WRITTEN_B)),
    Mutation("ecc-deleted", "15.2", "cardprep/register.py",
             "    long_side = geometry.long_side(corners_a)\n",
             "    return Registration(a_from_b, 0.99, 0.0)\n    long_side = geometry.long_side(corners_a)\n",
             (f"{_PIXELS}::test_ecc_refinement_beats_the_outline_estimate",)),
    Mutation("edge-bias-outward", "15.2", "cardprep/detect.py",
             "return self.base + where[:, None] * self.normal, mid",
             "return self.base + (where[:, None] + 0.5) * self.normal, mid",
             (f"{_PIXELS}::test_detect_finds_the_absolute_corners_without_bias",)),
    Mutation("parabola-removed", "15.2", "cardprep/detect.py",
             "where = self.offsets[peak] + np.clip(shift, -1, 1) * _STEP", "where = self.offsets[peak]",
             (f"{_PIXELS}::test_detect_finds_the_absolute_corners_without_bias",
              "tests/cardprep/test_detect.py")),
    Mutation("side-fitted-to-every-point", "10.3", "cardprep/detect.py",
             "inliers = distances[:, np.argmax((distances < _INLIER).sum(axis=0))] < _INLIER",
             "inliers = np.ones(len(points), bool)",
             ("tests/cardprep/test_detect.py",)),
    Mutation("frame-width-overrides-a-sides-own-step", "10.3", "cardprep/detect.py",
             "        elif outer[i] - main < _MIN_FRAME:\n", "        elif True:\n",
             ("tests/cardprep/test_detect.py::test_each_side_keeps_its_own_outer_step",)),
    Mutation("frame-width-without-perspective", "10.3", "cardprep/detect.py",
             "    return max(_MIN_FRAME // 2, 0.35 * width)", "    return _MIN_FRAME // 2",
             ("tests/cardprep/test_detect.py",)),
    Mutation("faint-frame-ignored", "10.3", "cardprep/detect.py",
             "    agreed = [width for width in candidates if support[width] >= 3]", "    agreed = []",
             ("tests/cardprep/test_detect.py",)),
    Mutation("bent-side-fitted-by-its-chord", "10.3", "cardprep/detect.py",
             "    return _huber_line(points[np.abs(points @ line[:2] + line[2]) < _NEAR_LINE])", "    return line",
             ("tests/cardprep/test_detect.py",)),
    Mutation("edgeless-side-accepted", "10.3", "cardprep/detect.py",
             "    if min(strongest) < _MIN_SIDE_SHARE * max(strongest):", "    if False:",
             ("tests/cardprep/test_detect.py::test_a_side_without_an_edge_is_refused",)),
    Mutation("lone-outer-step-taken", "10.3", "cardprep/detect.py",
             "            if not _paper_ends(mean, size, outer[i]):", "            if False:",
             ("tests/cardprep/test_detect.py",)),
    Mutation("widest-frame-wins", "10.3", "cardprep/detect.py",
             "key=lambda width: (support[width], width)", "key=lambda width: width",
             ("tests/cardprep/test_detect.py",)),
    Mutation("biased-outline-averaged-in", "10.3", "cardprep/register.py",
             "apart = np.clip(", "apart = 0.0 * np.clip(",
             (f"{_PIXELS}::test_a_biased_outline_side_gives_way_to_ecc",)),
    Mutation("agreement-ramp-a-step", "10.3", "cardprep/register.py",
             "_AGREE_PX_RAMP = 1.0", "_AGREE_PX_RAMP = 0.05",
             (f"{_PIXELS}::test_a_biased_outline_side_gives_way_to_ecc",)),
    Mutation("downscaled-ecc-never-kept", "10.3", "cardprep/register.py",
             "weight = agreeing + (1.0 - agreeing) * apart", "weight = agreeing + (1.0 - agreeing) * apart * (zoom == 1.0)",
             (f"{_PIXELS}::test_a_biased_outline_side_gives_way_to_downscaled_ecc",)),
    Mutation("orientation-fix-dropped", "15 (done when)", _PIPELINE,
             'return Orientation(decision.turn, face_a, face_b, decision, "pips")',
             'return Orientation(False, face_a, face_b, decision, "pips")',
             ("tests/cardprep/test_align.py::test_orientation_and_rank_are_read_right",)),
    Mutation("suit-colour-check-skipped", "15 (done when)", _PIPELINE,
             '    if face_a.colour == "red":\n'
             '        notes.append("A\'s pips are red: suits swapped (A should be the club card)?")\n'
             '    elif face_a.pips and face_a.colour != "black":\n'
             '        notes.append("A\'s pips are not clearly black")\n'
             '    if face_b.pips and face_b.colour != "red":\n'
             '        notes.append(f"B\'s pips are {face_b.colour}, not red: wrong card?")\n',
             "", ("tests/cardprep/test_align.py::test_bad_pairs_fail_with_reasons_while_the_rest_are_done",)),
    Mutation("b-colour-check-skipped", "15 (done when)", _PIPELINE,
             '    if face_b.pips and face_b.colour != "red":\n',
             "    if False:\n", ("tests/cardprep/test_align_bites.py",)),
    Mutation("rank-check-skipped", "15 (done when)", _PIPELINE,
             "    if face_a.rank != face_b.rank:\n", "    if False:\n", ("tests/cardprep/test_align_bites.py",)),
    Mutation("sim-truth-off", "15.5", "cardprep/sim/photos.py",
             "a_from_b=geometry.normalized(photo_a_from_card @ np.linalg.inv(photo_b_from_card))",
             "a_from_b=geometry.normalized(geometry.translation(0.8, 0) @ photo_a_from_card "
             "@ np.linalg.inv(photo_b_from_card))",
             ("tests/cardprep/test_simulate.py::test_truth_corners_and_homography_match_the_photographed_card",)),
    Mutation("exif-orientation-ignored", "README (phone photos)", "cardprep/common/images.py",
             "        image = cv2.imdecode(data, cv2.IMREAD_COLOR)\n",
             "        image = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)\n",
             ("tests/cardprep/test_images.py",)),
    Mutation("scorer-input-target-swapped", "15.3", "cardtrain/evaluate.py",
             "sums.add(output, to_float(batch[:, 3:]), to_float(batch[:, :3]))",
             "sums.add(output, to_float(batch[:, :3]), to_float(batch[:, 3:]))",
             ("tests/cardtrain/test_losses.py",)),
    Mutation("gan-target-inverted", "15.3", "cardtrain/losses.py",
             "fake_logits.float(), torch.ones_like(fake_logits, dtype=torch.float32)",
             "fake_logits.float(), torch.zeros_like(fake_logits, dtype=torch.float32)",
             ("tests/cardtrain/test_losses.py",)),
    Mutation("d-labels-swapped", "15.3", "cardtrain/losses.py",
             "real = F.binary_cross_entropy_with_logits(real_logits.float(), torch.ones_like(",
             "real = F.binary_cross_entropy_with_logits(real_logits.float(), torch.zeros_like(",
             ("tests/cardtrain/test_losses.py",)),
    Mutation("l1-weight-ignored", "15.3", "cardtrain/losses.py",
             "return adversarial + l1_weight * l1, adversarial, l1", "return adversarial + l1, adversarial, l1",
             ("tests/cardtrain/test_losses.py",)),
    Mutation("d-sees-the-target-as-input", "15.3", "cardtrain/gan.py",
             "self._train_d(real_a, real_b), self._train_d(real_a, fake_b.detach())",
             "self._train_d(real_b, real_b), self._train_d(real_b, fake_b.detach())",
             ("tests/cardtrain/test_losses.py",)),
    Mutation("model-input-not-rgb", "15.3", "cardtrain/data.py",
             "np.ascontiguousarray(square_resize(image_bgr, size)[:, :, ::-1])",
             "np.ascontiguousarray(square_resize(image_bgr, size))",
             ("tests/cardtrain/test_data.py", "tests/cardtrain/test_predict.py")),
    Mutation("best-checkpoint-by-worst-l1", "15.3", "cardtrain/train.py",
             "improved = run.val.l1 < run.best_val_l1", "improved = run.val.l1 > run.best_val_l1",
             ("tests/cardtrain/test_train.py::test_validation_and_checkpoints_have_their_own_cadence",)),
    Mutation("ddp-same-dropout", "15.4", "cardtrain/train.py",
             "torch.manual_seed(seed + 1 + rank)", "torch.manual_seed(seed + 1)",
             ("tests/cardtrain/test_distributed.py::"
              "test_ranks_draw_their_own_dropout_and_a_stopped_run_resumes_exactly",)),
    Mutation("resume-without-rng", "15.4", "cardtrain/train.py",
             'run.streams.restore(checkpoint.state["rng"][context.rank])', "pass",
             ("tests/cardtrain/test_train.py::test_kill_and_resume_ends_with_the_same_weights",)),
    Mutation("ddp-resume-with-rank-0-rng", "15.4", "cardtrain/train.py",
             'run.streams.restore(checkpoint.state["rng"][context.rank])',
             'run.streams.restore(checkpoint.state["rng"][0])',
             ("tests/cardtrain/test_distributed.py::"
              "test_ranks_draw_their_own_dropout_and_a_stopped_run_resumes_exactly",)),
    Mutation("resume-without-optimiser", "15.4", "cardtrain/gan.py",
             '        self.opt_g.load_state_dict(state["opt_g"])\n        self.opt_d.load_state_dict(state["opt_d"])\n',
             "", ("tests/cardtrain/test_train.py::test_kill_and_resume_ends_with_the_same_weights",)),
    Mutation("paste-feather-outside-card", "card trick", "cardprep/card_frame.py",
             "return np.clip((depth - 1.0) / max(feather_px, 1e-6), 0.0, 1.0).astype(np.float32)",
             "return np.clip((depth + 1.0) / max(feather_px, 1e-6), 0.0, 1.0).astype(np.float32)",
             ("tests/cardprep/test_card_frame.py", "tests/cardtrain/test_card_trick.py")),
    Mutation("paste-on-a-larger-card", "card trick", "cardtrain/card_trick.py",
             "results[i] = paste_card(frames[i], translated, corners)",
             "results[i] = paste_card(frames[i], translated, "
             "corners.mean(axis=0) + 1.1 * (corners - corners.mean(axis=0)))",
             ("tests/cardtrain/test_card_trick.py",)),
    Mutation("augment-halves-differ", "15 (paired augmentation)", "cardprep/augment/functional.py",
             "warped = cv2.warpAffine(image, matrix, (size, size),",
             "warped = cv2.warpAffine(image, matrix if image is pair.a else matrix + [[0, 0, 1], [0, 0, 0]], "
             "(size, size),",
             ("tests/cardprep/test_augment.py",)),
    Mutation("augment-halves-differ-by-a-quarter-pixel", "15 (paired augmentation)", "cardprep/augment/functional.py",
             "warped = cv2.warpAffine(image, matrix, (size, size),",
             "warped = cv2.warpAffine(image, matrix if image is pair.a else matrix + [[0, 0, 0.25], [0, 0, 0]], "
             "(size, size),",
             ("tests/cardprep/test_augment.py::TestApply::test_card_outline_lands_in_the_same_place_in_both_halves",)),
    Mutation("val-repeats-train-draws", "15 (paired augmentation)", "cardprep/augment/params.py",
             "split_key = list(Split).index(split)", "split_key = 0",
             ("tests/cardprep/test_augment.py", "tests/cardprep/test_augment_dataset.py")),
    Mutation("manifest-floats-rounded", "15 (paired augmentation)", "cardprep/augment/manifest.py",
             "return repr(value) if isinstance(value, float) else str(value)",
             'return f"{value:.6g}" if isinstance(value, float) else str(value)',
             ("tests/cardprep/test_augment_dataset.py",)),
    Mutation("manifest-column-lost", "15 (done when)", "cardprep/augment/manifest.py",
             "    writer.writerow(MANIFEST_COLUMNS)\n"
             "    writer.writerows([_format(value) for value in _leaves(row)] for row in rows)\n",
             "    writer.writerow(MANIFEST_COLUMNS[:-1])\n"
             "    writer.writerows([_format(value) for value in _leaves(row)][:-1] for row in rows)\n",
             ("tests/cardprep/test_augment_dataset.py",)),
)


class Verdict(str, Enum):
    CAUGHT = "caught"
    SURVIVED = "SURVIVED"  # every test passed with the bug in
    STALE = "STALE"  # the snippet is not in the file exactly once: the mutation needs updating
    ERROR = "ERROR"  # pytest could not run the tests (collection error, no tests): no proof
    TIMEOUT = "TIMEOUT"
    UNPROVEN = "UNPROVEN"  # the test that failed fails without the mutation too: no proof


@dataclass(frozen=True)
class Outcome:
    mutation: Mutation
    verdict: Verdict
    detail: str  # the first failing test, or why there is none
    seconds: float


class StaleMutation(Exception):
    """The mutation's snippet does not occur exactly once in its file."""


def occurrences(root: Path, mutation: Mutation) -> int:
    """How often ``mutation.old`` occurs in its file under ``root`` (0 when the file is gone)."""
    path = root / mutation.path
    return path.read_text(encoding="utf-8").count(mutation.old) if path.is_file() else 0


def apply(root: Path, mutation: Mutation) -> None:
    """Put the bug into the tree at ``root``; StaleMutation when its snippet is not there exactly once."""
    count = occurrences(root, mutation)
    if count != 1:
        raise StaleMutation(f"{mutation.path}: the snippet occurs {count} times, not once")
    path = root / mutation.path
    path.write_text(path.read_text(encoding="utf-8").replace(mutation.old, mutation.new), encoding="utf-8")


def working_files(root: Path) -> list[str]:
    """The tree's files as a user's clone would have them, plus untracked work not ignored."""
    listing = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, check=True,
                             capture_output=True).stdout.decode()
    return [name for name in listing.split("\0") if name and (root / name).is_file()]


def copy_tree(root: Path, destination: Path) -> None:
    """Copy the working files of ``root`` into ``destination`` (which may exist)."""
    for name in working_files(root):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)


def copy_environment(tree: Path) -> dict[str, str]:
    """The environment that makes Python, and every process it starts, import the copy's packages
    (the editable install points at the real tree) and write no bytecode beside the copy."""
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def check_imports_copy(tree: Path, python: str) -> None:
    """Refuse to go on when the copy's Python would import the real tree's packages."""
    probe = "import cardprep, cardtrain; print(cardprep.__file__); print(cardtrain.__file__)"
    found = subprocess.run([python, "-c", probe], cwd=tree, env=copy_environment(tree), check=True,
                           capture_output=True, text=True).stdout.split()
    outside = [path for path in found if not Path(path).resolve().is_relative_to(tree.resolve())]
    if outside:
        raise SystemExit(f"error: the copy imports {', '.join(outside)}, not its own packages")


_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)(?: - (.*))?$", re.MULTILINE)
_REASON_CHARS = 70  # of the failing test's message, shown beside its name


@dataclass(frozen=True)
class PytestRun:
    verdict: Verdict  # CAUGHT when a test failed, SURVIVED when all passed
    detail: str
    failed: str = ""  # the first failing test's node id


def run_tests(tree: Path, tests: Sequence[str], python: str, timeout_s: float) -> PytestRun:
    """Run ``tests`` in the copy at ``tree``; CAUGHT with the first failing test when one fails."""
    command = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE", *tests]
    # A wide terminal: pytest cuts the failing test's message to fit the width. Its own session,
    # so that a timeout ends the processes its tests started too.
    with subprocess.Popen(command, cwd=tree, env={**copy_environment(tree), "COLUMNS": "400"}, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True) as pytest:
        try:
            output, _ = pytest.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _end_session(pytest)
            return PytestRun(Verdict.TIMEOUT, f"still running after {timeout_s:.0f} s")
    first = _FAILED.search(output)
    if pytest.returncode == 0:
        return PytestRun(Verdict.SURVIVED, "every test passed")
    if pytest.returncode == 1 and first:
        reason = (first.group(3) or "").strip()
        return PytestRun(Verdict.CAUGHT, first.group(2) + (f" ({reason[:_REASON_CHARS]})" if reason else ""),
                       first.group(2))
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return PytestRun(Verdict.ERROR, f"pytest exit {pytest.returncode}: {last}")


def _end_session(process: subprocess.Popen) -> None:
    """SIGTERM to the session first: torchrun passes it on to its workers, which run in sessions
    of their own and would outlive a SIGKILL; SIGKILL whatever is left after a grace period."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.communicate(timeout=_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def try_mutation(mutation: Mutation, python: str, timeout_s: float, *, root: Path = ROOT) -> Outcome:
    """``mutation`` in a fresh copy of the tree, its tests run there; the test that failed is run
    again with the file restored, and must pass (else the catch proves nothing). The copy is
    removed after."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"mutation-{mutation.name}-") as folder:
        tree = Path(folder)
        copy_tree(root, tree)
        original = (tree / mutation.path).read_bytes() if (tree / mutation.path).is_file() else b""
        try:
            apply(tree, mutation)
        except StaleMutation as error:
            return Outcome(mutation, Verdict.STALE, str(error), 0.0)
        run = run_tests(tree, mutation.tests, python, timeout_s)
        if run.verdict is Verdict.CAUGHT:
            (tree / mutation.path).write_bytes(original)
            again = run_tests(tree, [run.failed], python, timeout_s)
            if again.verdict is not Verdict.SURVIVED:
                run = PytestRun(Verdict.UNPROVEN, f"{run.failed} does not pass without the mutation either: "
                                                  f"{again.detail}")
    return Outcome(mutation, run.verdict, run.detail, time.perf_counter() - start)


def table(outcomes: Sequence[Outcome]) -> str:
    """A Markdown table: mutation | item | verdict | caught by (or why not) | seconds."""
    lines = ["| mutation | item | verdict | caught by | s |", "| --- | --- | --- | --- | ---: |"]
    for o in outcomes:
        detail = o.detail.replace("|", r"\|")  # a | in a test's message would split the cell
        lines.append(f"| {o.mutation.name} | {o.mutation.item} | {o.verdict.value} | {detail} | {o.seconds:.0f} |")
    return "\n".join(lines)


def select(names: str | None) -> tuple[Mutation, ...]:
    """The mutations named (comma-separated), all when None; SystemExit naming an unknown one."""
    if names is None:
        return MUTATIONS
    known = {m.name: m for m in MUTATIONS}
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"error: no mutation named {', '.join(unknown)} (see --list)")
    return tuple(known[name] for name in wanted)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these mutations")
    parser.add_argument("--list", action="store_true", help="list the mutations and their tests, run nothing")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per mutation's tests")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs pytest")
    args = parser.parse_args(argv)
    mutations = select(args.only)
    if args.list:
        for m in mutations:
            print(f"{m.name} ({m.item}): {m.path} -> {' '.join(m.tests)}")
        return 0
    with tempfile.TemporaryDirectory(prefix="mutation-probe-") as folder:
        copy_tree(ROOT, Path(folder))
        check_imports_copy(Path(folder), args.python)
    outcomes = []
    for number, mutation in enumerate(mutations, 1):
        outcome = try_mutation(mutation, args.python, args.timeout)
        print(f"[{number}/{len(mutations)}] {mutation.name}: {outcome.verdict.value} ({outcome.detail}, "
              f"{outcome.seconds:.0f} s)", flush=True)
        outcomes.append(outcome)
    print(table(outcomes))
    bad = [o for o in outcomes if o.verdict is not Verdict.CAUGHT]
    print(f"{len(outcomes) - len(bad)} of {len(outcomes)} mutations caught" +
          (f"; not caught: {', '.join(o.mutation.name for o in bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
