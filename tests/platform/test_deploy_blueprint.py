"""render.yaml and the Procfile name only modules, commands, files and settings that exist."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_TEXT = (ROOT / "config" / "settings.py").read_text()
PLATFORM_VARS = {"PYTHON_VERSION", "PORT", "WEB_CONCURRENCY", "WORKER_CONCURRENCY"}


def check_command(command: str) -> None:
    """Each `&&`-joined step must name something real."""
    for step in command.split("&&"):
        argv = shlex.split(step)
        program = argv[0]
        if program == "gunicorn":
            module, _, attribute = argv[1].partition(":")
            assert hasattr(importlib.import_module(module), attribute or "application"), step
        elif program == "daphne":
            module, _, attribute = argv[-1].partition(":")
            assert hasattr(importlib.import_module(module), attribute or "application"), step
        elif program == "celery":
            assert argv[1] == "-A"
            assert hasattr(importlib.import_module(argv[2]), "celery_app"), step
            assert argv[3] in {"worker", "beat"}, step
        elif program == "python":
            assert argv[1] == "manage.py", step
            assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
        elif program == "pip":
            assert (ROOT / argv[argv.index("-r") + 1]).is_file(), step
        else:
            pytest.fail(f"unknown program in {step!r}")


def blueprint() -> dict:
    return yaml.safe_load((ROOT / "render.yaml").read_text())


def test_blueprint_has_web_worker_beat_database_and_redis():
    spec = blueprint()
    services = {s["name"]: s for s in spec["services"]}
    assert services["pamoja-web"]["type"] == "web"
    assert "migrate" in services["pamoja-web"]["preDeployCommand"]
    assert "setup_schedules" in services["pamoja-web"]["preDeployCommand"]
    assert services["pamoja-worker"]["startCommand"].split()[3] == "worker"
    assert services["pamoja-beat"]["startCommand"].split()[3] == "beat"
    assert services["pamoja-beat"].get("numInstances", 1) == 1
    assert {s["type"] for s in spec["services"]} >= {"web", "worker", "keyvalue"}
    assert spec["databases"][0]["name"] == "pamoja-db"


def test_blueprint_commands_name_what_exists():
    for service in blueprint()["services"]:
        for key in ("buildCommand", "preDeployCommand", "startCommand"):
            if key in service:
                check_command(service[key])


def test_blueprint_wiring_and_variables_exist():
    spec = blueprint()
    services = {s["name"] for s in spec["services"]}
    databases = {d["name"] for d in spec["databases"]}
    groups = {g["name"]: g for g in spec["envVarGroups"]}
    keys = {v["key"] for g in groups.values() for v in g["envVars"]}
    for service in spec["services"]:
        for var in service.get("envVars", []):
            if "fromGroup" in var:
                assert var["fromGroup"] in groups
                continue
            keys.add(var["key"])
            if "fromDatabase" in var:
                assert var["fromDatabase"]["name"] in databases
            if "fromService" in var:
                assert var["fromService"]["name"] in services
    for key in keys - PLATFORM_VARS:
        assert re.search(rf'"{key}"', SETTINGS_TEXT), f"render.yaml sets {key}, which settings never read"


def test_procfile_commands_name_what_exists():
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip():
            name, _, command = line.partition(":")
            assert name in {"web", "worker", "beat", "ws"}
            check_command(command.strip())


def test_readme_documents_every_environment_variable():
    readme = (ROOT / "README.md").read_text()
    for key in set(re.findall(r'env\.\w+\("([A-Z_]+)"', SETTINGS_TEXT)):
        assert f"`{key}`" in readme, f"README.md does not document {key}"
