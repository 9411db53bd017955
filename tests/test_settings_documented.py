"""Every environment variable the settings read is documented and wired into compose."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELPERS = {"env_str", "env_bool", "env_int", "env_list"}


def variables_read_by_settings() -> set[str]:
    tree = ast.parse((ROOT / "tracker" / "settings.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in HELPERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def variables_in_env_example() -> set[str]:
    text = (ROOT / "docker" / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def test_settings_read_a_reasonable_set():
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "REDIS_URL"} <= (
        variables_read_by_settings()
    )


def test_env_example_documents_every_setting():
    missing = variables_read_by_settings() - variables_in_env_example()
    assert not missing, f"add these to docker/.env.example: {sorted(missing)}"


def test_env_example_lists_nothing_the_settings_ignore():
    unknown = variables_in_env_example() - variables_read_by_settings()
    assert not unknown, f"docker/.env.example documents unused variables: {sorted(unknown)}"


def test_compose_sets_only_known_variables():
    text = (ROOT / "docker" / "compose.yml").read_text()
    block = text.split("  environment:\n", 1)[1].split("  volumes:", 1)[0]
    names = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):", block, re.MULTILINE))
    assert names, "compose.yml should set the service URLs"
    assert names <= variables_read_by_settings()
    assert "env_file: .env" in text
