"""pyproject.toml tells the truth: the product's imports are its dependencies (issue 14, item 4)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# import name -> distribution name, where they differ
DISTRIBUTIONS = {"cv2": "opencv-python-headless", "resvg_py": "resvg-py", "skimage": "scikit-image", "PIL": "pillow"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def _imports() -> dict[str, bool]:
    """Third-party distributions the product imports -> whether some import is at module level."""
    found: dict[str, bool] = {}
    for path in [*ROOT.glob("cardprep/**/*.py"), *ROOT.glob("cardtrain/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                name = module.split(".")[0]
                if name in sys.stdlib_module_names or name in ("cardprep", "cardtrain"):
                    continue
                dist = DISTRIBUTIONS.get(name, name).lower()
                found[dist] = found.get(dist, False) or id(node) in top_level
    return found


def test_dependencies_are_what_the_product_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = _names(project["dependencies"])
    extras = set().union(*(_names(group) for group in project["optional-dependencies"].values()))
    imported = _imports()
    at_module_level = {dist for dist, top in imported.items() if top}
    assert at_module_level <= required, "imported on every run, so required"
    assert set(imported) <= required | extras, "an optional import belongs to an extra"
    assert required <= set(imported), "a dependency nothing imports"


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(result.stdout.split())


# What cardtrain may never load of cardprep: the dataset pipeline and the simulator. It loads the
# shared layer, and for predict --card the card frame, the follower and the detector they use
# (tests/test_layering.py holds the direct imports to an allow-list).
CARDPREP_PIPELINE = ("cardprep.align", "cardprep.augment", "cardprep.sim", "cardprep.cli", "cardprep.cards",
                     "cardprep.orient", "cardprep.register", "cardprep.pairs", "cardprep.frames")


def test_the_shared_layer_stands_between_the_packages():
    # issue 14, item 3: cardtrain loads no cardprep pipeline module, and cardprep.common no torch
    loaded = _modules_after("import cardtrain.cli, cardtrain.predict, cardtrain.train")
    assert "cardprep.common" in loaded
    assert not [m for m in loaded if m.startswith(CARDPREP_PIPELINE)]
    loaded = _modules_after("import cardprep.common.cli, cardprep.common.images, cardprep.common.video")
    assert "torch" not in loaded and not any(m.startswith("cardtrain") for m in loaded)
