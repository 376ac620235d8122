"""The layout holds: every module imports on its own, and imports run one way
(cli -> services -> domain), as ARCHITECTURE.md says."""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "fundwatch"
SERVICES = ("storage", "importers", "portal", "publishing", "output", "net")


def modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def layer(module: str) -> str:
    part = module.split(".")[1] if "." in module else ""
    if part == "cli":
        return "cli"
    if part in SERVICES:
        return "services"
    return "domain" if part == "domain" else "top"


def imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fundwatch"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("fundwatch"))
    return found


def test_every_module_imports_on_its_own():
    def alone(name: str) -> tuple[str, str]:
        proc = subprocess.run(
            [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=60
        )
        return name, proc.stderr.strip().splitlines()[-1] if proc.returncode else ""

    with ThreadPoolExecutor(4) as pool:
        failures = {name: err for name, err in pool.map(alone, modules()) if err}
    assert failures == {}


@pytest.mark.parametrize("module", modules())
def test_imports_run_one_way(module):
    rank = {"domain": 0, "services": 1, "cli": 2, "top": 3}
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = PACKAGE.parent / module.replace(".", "/") / "__init__.py"
    mine = rank[layer(module)]
    upward = sorted(
        other for other in imported(path)
        if layer(other) != "top" and rank[layer(other)] > mine
    )  # fmt: skip
    assert upward == [], f"{module} imports a layer above it"


def test_no_module_takes_another_modules_private_names():
    taken = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fundwatch"):
                taken += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")
                          and not a.name.startswith("__")]  # fmt: skip
    assert taken == []
