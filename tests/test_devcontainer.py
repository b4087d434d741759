"""The dev container (GitHub Codespaces, VS Code) is valid and sets the course up as the README does.

The specification's own schema (``devContainer.base.schema.json`` of
devcontainers/spec) is fetched, pinned to a commit and checked by SHA-256,
into ``~/.cache/dlhelpers`` when there is a network (``DLHELPERS_OFFLINE=0``); no package on the
registries ships it, so offline that one test is skipped and the others,
which read the file against the specification's reference, still run.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from dlhelpers.data.cache import env_offline, fetch

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".devcontainer" / "devcontainer.json"
SPEC_COMMIT = "c95ffeed1d059abfe9ffbe79762dc2fa4e7c2421"  # devcontainers/spec, 2026-03-20
SCHEMA_SHA256 = "a0883c0405ff433db188849d458fb20b9c0d73e0ba1a6e44c1d83f3b485408dd"
SCHEMA_MIRROR = f"https://raw.githubusercontent.com/devcontainers/spec/{SPEC_COMMIT}/schemas/"
# Codespaces' free tier: 120 core-hours a month on its smallest machine, 2 cores, 8 GB, 32 GB
FREE_TIER = {"cpus": 2, "memory": 8, "storage": 32}
# The top-level properties of an image-based devcontainer.json that the course uses,
# each with its type in the specification (containers.dev/implementors/json_reference)
USED = {
    "name": str,
    "image": str,
    "hostRequirements": dict,
    "containerEnv": dict,
    "postCreateCommand": str,
    "forwardPorts": list,
    "portsAttributes": dict,
    "customizations": dict,
}


@pytest.fixture(scope="module")
def config() -> dict:
    return json.loads(CONFIG.read_text())


def _gigabytes(text: str) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(tb|gb|mb|kb)", text)
    assert found, f"{text!r} is not a size like '8gb' as the specification writes it"
    return (
        float(found.group(1))
        * {"tb": 1024, "gb": 1, "mb": 1 / 1024, "kb": 1 / 1024**2}[found.group(2)]
    )


def test_the_file_uses_only_what_the_specification_defines(config):
    assert set(config) <= set(USED), f"unexpected keys: {set(config) - set(USED)}"
    for key, kind in USED.items():
        assert isinstance(config[key], kind), f"{key} must be {kind.__name__}"
    assert all(isinstance(port, int) for port in config["forwardPorts"])
    assert all(re.fullmatch(r"\d+", port) for port in config["portsAttributes"])


def test_it_fits_the_free_tier(config):
    wanted = config["hostRequirements"]
    assert wanted["cpus"] <= FREE_TIER["cpus"]
    assert _gigabytes(wanted["memory"]) <= FREE_TIER["memory"]
    assert _gigabytes(wanted["storage"]) <= FREE_TIER["storage"]


def test_it_installs_the_course_as_the_readme_does_with_a_cpu_torch(config):
    # the same install as `bash scripts/lab.sh`, with torch from the CPU-only index
    assert "source scripts/_venv.sh && install_course lab" in config["postCreateCommand"]
    assert config["containerEnv"]["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    python = re.search(r"python:(\d+)\.(\d+)", config["image"])
    assert python, "a Python image with its version in the tag"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = tuple(int(p) for p in re.search(r">=\s*(\d+)\.(\d+)", requires).groups())
    assert tuple(int(p) for p in python.groups()) >= low


def test_it_opens_notebook_00_with_the_course_kernel(config):
    opened = config["customizations"]["codespaces"]["openFiles"]
    assert opened == ["notebooks/00_welcome.ipynb"] and (ROOT / opened[0]).is_file()
    vscode = config["customizations"]["vscode"]
    assert {"ms-python.python", "ms-toolsai.jupyter"} <= set(vscode["extensions"])
    assert vscode["settings"]["python.defaultInterpreterPath"].endswith("/.venv/bin/python")


def test_the_file_passes_the_specifications_schema(config):
    jsonschema = pytest.importorskip("jsonschema")
    got = fetch(
        "devContainer.base.schema.json",
        f"sha256:{SCHEMA_SHA256}",
        # the user's cache, not the tests' temporary one, so that one download lasts
        folder=Path.home() / ".cache" / "dlhelpers" / "devcontainer-spec",
        mirrors=SCHEMA_MIRROR,
        offline=env_offline(),
    )
    if got.path is None:
        pytest.skip(
            f"the specification's schema is not here and cannot be fetched ({got.status}) {got.note}"
        )
    schema = json.loads(got.path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert [e.message for e in validator.iter_errors(config)] == []
    # the schema refuses what it does not know, so a misspelt key would fail here
    assert list(validator.iter_errors({**config, "hostRequirement": {}}))
