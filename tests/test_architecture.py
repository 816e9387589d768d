"""The import contracts in pyproject.toml hold, and they would catch a wrong arrow.

lint-imports runs on a copy of ``portal/`` with one wrong import added, so the
proof that the contracts bite does not depend on the real tree being clean, and
on the real tree itself. A third test keeps the contracts complete: every
package under ``portal/`` has a place in them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

DOMAIN_ORDER = "Domains import only the domains beneath them"
SHARED_KERNEL = "The shared kernel imports no domain"


def contracts() -> dict[str, dict]:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    """Runs lint-imports with the project's contracts on the ``portal`` package found in ``source_root``."""
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT_IMPORTS), str(PYPROJECT), "--no-cache"],
        cwd=source_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_portal(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "portal", tmp_path / "portal", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        ("accounts/models.py", "portal.bids", DOMAIN_ORDER),
        ("providers/services.py", "portal.tenders.models", DOMAIN_ORDER),
        ("money.py", "portal.agreements.models", SHARED_KERNEL),
        ("notifications/services.py", "portal.accounts.models", SHARED_KERNEL),
    ],
)
def test_a_wrong_import_breaks_its_contract(tmp_path, module, wrong_import, contract):
    source_root = copy_of_portal(tmp_path)
    path = source_root / "portal" / module
    path.write_text(path.read_text() + f"\nimport {wrong_import}  # the wrong arrow under test\n")

    result = lint_imports(source_root)

    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    importer = "portal." + module.removesuffix(".py").replace("/", ".")
    assert f"{contract} BROKEN" in output, output
    assert f"{importer} -> {wrong_import}" in output, output


def test_the_portal_keeps_every_import_contract():
    result = lint_imports(ROOT)

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Contracts: 2 kept, 0 broken." in output, output


def test_every_package_of_the_portal_has_a_place_in_the_contracts():
    """A new domain goes into the domain order and into the kernel's forbidden list; a new
    shared package into the kernel. import-linter cannot see a package nobody listed."""
    by_id = contracts()
    layers = {layer.strip("()") for layer in by_id["domain-order"]["layers"]}
    kernel = set(by_id["shared-kernel"]["source_modules"])
    forbidden = set(by_id["shared-kernel"]["forbidden_modules"])
    packages = {f"portal.{path.parent.name}" for path in (ROOT / "portal").glob("*/__init__.py")}

    assert packages - layers - kernel == set(), "packages in no contract"
    assert packages & layers & kernel == set(), "packages both a domain and shared"
    assert (packages & layers) - forbidden == set(), "domains the shared kernel may import"
