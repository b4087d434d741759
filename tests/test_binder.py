"""binder/ must install what pyproject.toml declares, with a CPU-only torch."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _pyproject_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["lab"]
    ]
    return {r.name.lower(): r for r in reqs}


def _binder_requirements() -> tuple[dict[str, Requirement], list[str]]:
    reqs, options = {}, []
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            options.append(line)
        else:
            r = Requirement(line)
            reqs[r.name.lower()] = r
    return reqs, options


def test_binder_and_pyproject_name_the_same_packages():
    assert set(_binder_requirements()[0]) == set(_pyproject_requirements())


def test_binder_pins_satisfy_pyproject_lower_bounds():
    wanted = _pyproject_requirements()
    for name, req in _binder_requirements()[0].items():
        (spec,) = req.specifier  # exactly one pin
        assert spec.operator == "==", f"{name} should be pinned in binder/requirements.txt"
        pinned = Version(spec.version)
        assert wanted[name].specifier.contains(pinned, prereleases=True), (name, str(pinned))


def test_binder_torch_is_the_cpu_build():
    reqs, options = _binder_requirements()
    assert str(reqs["torch"].specifier).endswith("+cpu")
    assert any(
        re.fullmatch(r"--extra-index-url https://download\.pytorch\.org/whl/cpu", o)
        for o in options
    )


def test_binder_scripts_follow_repo2docker_rules():
    assert (BINDER / "runtime.txt").read_text().strip().startswith("python-3.1")
    assert not (BINDER / "environment.yml").exists()  # it would make requirements.txt ignored
    post = (BINDER / "postBuild").read_text()
    assert "set -e" in post and "--no-deps" in post and "-e ." in post
    start = (BINDER / "start").read_text().strip().splitlines()
    assert start[-1] == 'exec "$@"' and any("OMP_NUM_THREADS=1" in s for s in start)
    for script in ("postBuild", "start"):
        assert (BINDER / script).stat().st_mode & 0o111, f"binder/{script} must be executable"


def test_readme_badge_opens_notebook_00():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"https://mybinder\.org/v2/gh/[^)\s]+", readme)
    assert badge and badge.group(0).endswith("urlpath=lab/tree/notebooks/00_welcome.ipynb")
    assert (ROOT / "notebooks" / "00_welcome.ipynb").exists()


def test_binder_culls_idle_kernels():
    """Each kernel holds ~400-450 MB; Binder has 2 GB: idle kernels must be shut down."""
    config = BINDER / "jupyter_server_config.py"
    seen: dict[str, object] = {}

    class Section:
        def __init__(self, name):
            self.__dict__["_name"] = name

        def __setattr__(self, key, value):
            seen[f"{self._name}.{key}"] = value

    class Config:
        def __getattr__(self, name):
            return Section(name)

    exec(compile(config.read_text(), str(config), "exec"), {"get_config": Config})
    assert 60 <= seen["MappingKernelManager.cull_idle_timeout"] <= 1800
    assert seen["MappingKernelManager.cull_connected"] is True
    assert seen["MappingKernelManager.cull_busy"] is False
    post = (BINDER / "postBuild").read_text()
    assert "binder/jupyter_server_config.py" in post and ".jupyter" in post


def test_repo2docker_reads_the_binder_folder_as_intended():
    """repo2docker's own parser: the Dockerfile it would build, without Docker (``--no-build``)."""
    pytest.importorskip("repo2docker")
    cmd = [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug", str(ROOT)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout + done.stderr
    python = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    assert f"python={python}" in out  # runtime.txt is honoured
    # requirements.txt (torch's CPU index and pin included) is installed, then postBuild,
    # and binder/start wraps every command
    assert re.search(r'pip install --no-cache-dir -r "binder/requirements.txt"', out)
    assert out.index("binder/requirements.txt") < out.index("./binder/postBuild")
    assert 'R2D_ENTRYPOINT="${REPO_DIR}/binder/start"' in out
    assert "environment.yml" not in out
