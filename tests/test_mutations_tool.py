"""tools/mutations.py: every mutation still applies to today's code, and the tool's own logic
(copy, apply, verdict) on toy files. The mutations' full test runs are the tool's job, not the suite's."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
tool = SimpleNamespace(**runpy.run_path(str(ROOT / "tools" / "mutations.py")))


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


def git_tree(repo: Path, files: dict[str, str], *, untracked: dict[str, str] | None = None) -> Path:
    """A toy git repository holding ``files`` committed and ``untracked`` beside them."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    for name, text in {**files, **(untracked or {})}.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run([*git, "add", *files], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "toy"], cwd=repo, check=True)
    return repo


def test_the_copy_holds_tracked_and_untracked_files_but_not_ignored_ones(tmp_path):
    repo = git_tree(tmp_path / "repo", {".gitignore": "build/\n", "pkg/code.py": "tracked"},
                    untracked={"pkg/new.py": "untracked", "build/out.bin": "ignored"})
    tool.copy_tree(repo, tmp_path / "copy")
    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*") if p.is_file())
    assert copied == [".gitignore", "pkg/code.py", "pkg/new.py"]
    assert (tmp_path / "copy" / "pkg" / "code.py").read_text() == "tracked"


TOY_TESTS = {
    "pkg/code.py": "def f():\n    return 1\n",
    "test_code.py": "from pkg.code import f\n\n\ndef test_f():\n    assert f() == 1\n",
    "test_always.py": "def test_broken_by_someone_else():\n    assert False\n",
}


@pytest.mark.parametrize("tests,verdict,detail", [
    (("test_code.py",), "caught", "test_code.py::test_f (assert 2 == 1)"),
    (("test_always.py",), "UNPROVEN", "test_always.py::test_broken_by_someone_else does not pass without the "
     "mutation either: test_always.py::test_broken_by_someone_else (assert False)"),
    (("test_gone.py",), "ERROR", "pytest exit 4: ERROR: file or directory not found: test_gone.py"),
], ids=["caught", "fails-unmutated", "no-test-file"])
def test_a_catch_counts_only_when_the_test_passes_without_the_bug(tmp_path, tests, verdict, detail):
    """The mutation is applied in a copy, never in the tree; a test that fails anyway, or
    tests that cannot run, prove nothing."""
    repo = git_tree(tmp_path / "repo", TOY_TESTS)
    outcome = tool.try_mutation(toy_mutation(tests=tests), sys.executable, 60, root=repo)
    assert (outcome.verdict.value, outcome.detail) == (verdict, detail)
    assert (repo / "pkg" / "code.py").read_text() == TOY_TESTS["pkg/code.py"]


def test_a_test_file_that_does_not_import_is_no_proof(tmp_path):
    """A mutation that breaks the syntax fails collection (exit 2), which is not a catch."""
    (tmp_path / "test_broken.py").write_text("def test_x(:\n")
    run = tool.run_tests(tmp_path, ["test_broken.py"], sys.executable, 60)
    assert run.verdict is tool.Verdict.ERROR and run.detail.startswith("pytest exit 2")


def test_only_takes_known_names():
    assert tool.select("ecc-deleted, b-card-moved") == tuple(
        m for name in ("ecc-deleted", "b-card-moved") for m in tool.MUTATIONS if m.name == name)
    with pytest.raises(SystemExit, match="no mutation named nonsense"):
        tool.select("ecc-deleted,nonsense")
