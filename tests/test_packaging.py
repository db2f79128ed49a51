"""The wheel carries the pack and templates, and works installed in a fresh venv from elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("gapcheck-*.whl")
    return built


def test_wheel_ships_the_pack_templates_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gapcheck/py.typed" in names
    for rule_file in (ROOT / "rules").iterdir():
        assert f"gapcheck/rules/{rule_file.name}" in names
    templates = [p for p in (ROOT / "templates").rglob("*") if p.is_file()]
    for template in templates:
        assert f"gapcheck/templates/{template.relative_to(ROOT / 'templates')}" in names
    assert not any(name.startswith(("tests/", "samples/")) for name in names)


def test_installed_in_a_fresh_venv_and_run_from_another_directory(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    sample = ROOT / "samples" / "deep-trouble.yaml"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [str(venv / "bin" / "gapcheck"), "assess", str(sample), "--format", "json"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert '"confidence": "red"' in result.stdout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import gapcheck; print(gapcheck.__file__)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert str(venv) in where.stdout
