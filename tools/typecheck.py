"""`make lint`: mypy over the packages as they are installed, following every import to its source file.

Our folders are not named like their packages (`engine/` is `fastmlmd.engine`), and the editable install
maps them with an import hook that type checkers cannot follow. So this builds `build/typecheck/`, a tree
of directory symlinks shaped like the installed packages, from pyproject.toml's package-dir (the one place
the mapping is stated), runs mypy there with the settings of pyproject's `[tool.mypy]`, and prints every
finding with the path of the real source file.

    python tools/typecheck.py [extra mypy arguments]
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"


def package_dirs() -> Dict[str, str]:
    """Import name -> source folder, as pyproject.toml states it."""
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return dict(tomllib.load(fh)["tool"]["setuptools"]["package-dir"])


def build_tree(mapping: Dict[str, str]) -> None:
    """One directory symlink per mapped package: build/typecheck/fastmlmd/engine -> ../../../engine."""
    for package, folder in mapping.items():
        link = TREE.joinpath(*package.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        target = os.path.relpath(ROOT / folder, link.parent)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target, target_is_directory=True)


def source_paths(output: str, mapping: Dict[str, str]) -> str:
    """mypy's output with each `fastmlmd/engine/x.py` written as the real `engine/x.py`."""
    longest_first = sorted(mapping.items(), key=lambda item: -len(item[0]))
    pattern = re.compile("|".join(re.escape(package.replace(".", "/") + "/") for package, _ in longest_first))
    folders = {package.replace(".", "/") + "/": folder + "/" for package, folder in mapping.items()}
    return "\n".join(pattern.sub(lambda m: folders[m.group(0)], line, count=1) if not line.startswith(" ")
                     else line for line in output.splitlines())


def main(argv: List[str]) -> int:
    mapping = package_dirs()
    build_tree(mapping)
    packages = [arg for package in mapping for arg in ("-p", package)]
    env = {**os.environ, "MYPYPATH": str(TREE)}
    run = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                          *packages, *argv], cwd=TREE, env=env, capture_output=True, text=True)
    out = source_paths(run.stdout, mapping)
    if out:
        print(out)
    if run.stderr:
        print(run.stderr, file=sys.stderr, end="")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
