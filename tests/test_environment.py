"""requirements.lock, environment.yml and pyproject.toml name the same packages and versions."""

import re
import tomllib
from pathlib import Path

import yaml

from analysis.run import pipeline

ROOT = Path(__file__).resolve().parents[1]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return normalise(re.split(r"[<>=!~ \[;]", spec, maxsplit=1)[0])


def locked_versions() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {normalise(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return {requirement_name(s) for s in specs}


def conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = [p for p in pip_section if "==" in p]
    return {normalise(p.split("==")[0]): p.split("==")[1] for p in pins}


def test_every_declared_package_is_locked():
    assert declared() - set(locked_versions()) == set()


def test_environment_yml_lists_the_declared_packages_at_the_locked_versions():
    pins, locked = conda_pins(), locked_versions()
    assert set(pins) == declared()
    assert {name: version for name, version in pins.items() if locked[name] != version} == {}


def test_environment_yml_uses_the_locked_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    assert "--python-version 3.11" in (ROOT / "requirements.lock").read_text()


def test_makefile_installs_the_kernel_the_runner_uses():
    assert f"KERNEL := {pipeline.KERNEL_NAME}" in (ROOT / "Makefile").read_text()
