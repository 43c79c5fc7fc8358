"""tools/mutations.py: every mutation still applies to today's code, and the tool's own logic
(copy, apply, verdict) on toy files. The mutations' full test runs are the tool's job, not the suite's."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_tool():
    spec = importlib.util.spec_from_file_location("cardprep_mutations_tool", ROOT / "tools" / "mutations.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.mark.parametrize("mutation", tool.MUTATIONS, ids=lambda m: m.name)
def test_every_mutation_applies_to_the_code_as_it_is(mutation):
    """A refactor that moves a snippet fails here, naming the mutation to update, instead of
    leaving a mutation that tests nothing."""
    assert tool.occurrences(ROOT, mutation) == 1, f"{mutation.name}: update its snippet in {mutation.path}"
    assert mutation.old != mutation.new
    for test in mutation.tests:
        assert (ROOT / test.split("::")[0]).is_file(), f"{mutation.name}: no test file {test}"


def test_mutation_names_are_unique():
    names = [m.name for m in tool.MUTATIONS]
    assert len(names) == len(set(names))


def toy_mutation(**changes) -> object:
    fields = dict(name="toy", item="-", path="pkg/code.py", old="return 1", new="return 2", tests=("t.py",))
    return tool.Mutation(**{**fields, **changes})


def test_apply_replaces_the_snippet_in_the_copy(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "code.py").write_text("def f():\n    return 1\n")
    tool.apply(tmp_path, toy_mutation())
    assert (tmp_path / "pkg" / "code.py").read_text() == "def f():\n    return 2\n"


@pytest.mark.parametrize("text", ["def f():\n    return 0\n", "return 1\nreturn 1\n"], ids=["absent", "twice"])
def test_a_snippet_not_there_exactly_once_is_stale_and_nothing_changes(tmp_path, text):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "code.py").write_text(text)
    with pytest.raises(tool.StaleMutation, match="pkg/code.py"):
        tool.apply(tmp_path, toy_mutation())
    assert (tmp_path / "pkg" / "code.py").read_text() == text
    with pytest.raises(tool.StaleMutation, match="0 times"):
        tool.apply(tmp_path, toy_mutation(path="pkg/gone.py"))


def test_the_copy_holds_tracked_and_untracked_files_but_not_ignored_ones(tmp_path):
    repo, copy = tmp_path / "repo", tmp_path / "copy"
    (repo / "pkg").mkdir(parents=True)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    (repo / ".gitignore").write_text("build/\n")
    (repo / "pkg" / "code.py").write_text("tracked")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "toy"], cwd=repo, check=True)
    (repo / "pkg" / "new.py").write_text("untracked")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("ignored")
    tool.copy_tree(repo, copy)
    copied = sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file())
    assert copied == [".gitignore", "pkg/code.py", "pkg/new.py"]
    assert (copy / "pkg" / "code.py").read_text() == "tracked"


def test_a_failing_test_catches_and_a_broken_one_is_no_proof(tmp_path):
    """pytest exit 1 names the test that caught the bug; a test file that does not even import
    (a mutation that breaks the syntax) is an ERROR, never counted as caught."""
    (tmp_path / "test_toy.py").write_text("def test_passes():\n    pass\n\ndef test_bites():\n    assert 1 == 2\n")
    (tmp_path / "test_broken.py").write_text("def test_x(:\n")
    verdict, detail = tool.run_tests(tmp_path, ["test_toy.py"], sys.executable, 60)
    assert verdict is tool.Verdict.CAUGHT and detail == "test_toy.py::test_bites (assert 1 == 2)"
    verdict, detail = tool.run_tests(tmp_path, ["test_broken.py"], sys.executable, 60)
    assert verdict is tool.Verdict.ERROR and detail.startswith("pytest exit 2")


def test_only_takes_known_names():
    assert tool.select("ecc-deleted, b-card-moved") == tuple(
        m for name in ("ecc-deleted", "b-card-moved") for m in tool.MUTATIONS if m.name == name)
    with pytest.raises(SystemExit, match="no mutation named nonsense"):
        tool.select("ecc-deleted,nonsense")
