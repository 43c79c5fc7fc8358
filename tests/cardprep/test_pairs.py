"""Pairing RAW/A and RAW/B by stem: nothing a user would take for a photo is passed over in silence."""

from pathlib import Path

import pytest

from cardprep.errors import CardprepError
from cardprep.pairs import find_pairs


def layout(root: Path, a: list[str], b: list[str]) -> Path:
    for side, names in (("A", a), ("B", b)):
        (root / side).mkdir(parents=True)
        for name in names:
            (root / side / name).write_bytes(b"x")
    return root


def reasons(root: Path) -> dict[str, str]:
    return {o.stem: o.reason for o in find_pairs(root).orphans}


def test_pairs_by_stem_in_order(tmp_path):
    listing = find_pairs(layout(tmp_path, ["b.jpg", "a.PNG", "notes.txt", ".hidden.jpg"], ["a.jpg", "b.webp"]))
    assert [(p.stem, p.a.name, p.b.name) for p in listing.pairs] == [("a", "a.PNG", "a.jpg"), ("b", "b.jpg", "b.webp")]
    assert listing.orphans == ()  # notes and hidden files are not photos


def test_a_stem_on_one_side_names_the_side_it_lacks(tmp_path):
    assert reasons(layout(tmp_path, ["x.jpg"], [])) == {"x": "only in A/ (A/x.jpg), no partner in B/"}


def test_duplicate_stems_are_named_not_called_missing_partner(tmp_path):
    reason = reasons(layout(tmp_path, ["a.jpg", "a.png"], ["a.jpg"]))["a"]
    assert reason == "more than one photo for this stem in A/ (A/a.jpg, A/a.png)"


def test_a_gif_is_named_with_its_side(tmp_path):
    found = reasons(layout(tmp_path, ["x.jpg", "y.jpg"], ["x.gif", "y.jpg", "z.heic"]))
    assert set(found) == {"x", "z"}
    assert found["x"].startswith("B/x.gif is skipped: .gif is not an image format cardprep reads (")
    assert found["z"].startswith("B/z.heic is skipped")


def test_a_folder_named_like_a_photo_is_named(tmp_path):
    root = layout(tmp_path, ["x.jpg"], [])
    (root / "B" / "x.jpg").mkdir()
    assert reasons(root) == {"x": "B/x.jpg is a folder, not a photo"}


def test_a_broken_link_is_named(tmp_path):
    root = layout(tmp_path, [], ["x.jpg"])
    (root / "A" / "x.jpg").symlink_to(tmp_path / "gone.jpg")
    assert reasons(root) == {"x": "A/x.jpg is a broken link (its target does not exist)"}


def test_a_link_to_a_photo_pairs(tmp_path):
    root = layout(tmp_path, [], ["x.jpg"])
    (tmp_path / "elsewhere.jpg").write_bytes(b"x")
    (root / "A" / "x.jpg").symlink_to(tmp_path / "elsewhere.jpg")
    assert [p.stem for p in find_pairs(root).pairs] == ["x"]


@pytest.mark.parametrize("make,message", [
    (lambda root: None, "no such folder"),
    (lambda root: (root / "A").mkdir(parents=True), "B: missing"),
    (lambda root: layout(root, ["notes.txt"], []), "hold no images"),
])
def test_a_wrong_layout_is_one_error(tmp_path, make, message):
    root = tmp_path / "raw"
    make(root)
    with pytest.raises(CardprepError, match=message):
        find_pairs(root)
