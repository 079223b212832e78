"""The code's shape, checked: imports point one way (orchestration → assets → resources → the domain
packages → arxiv_domain), only the Dagster layers import Dagster, nothing reads settings at import, no
module uses another's private names, and no function or module outgrows a reader."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Each package may import only the packages after it in this order (and itself). The domain packages
# (publishing … pdf_reading) are plain library code: they import no Dagster and take plain values.
LAYERS = ["orchestration", "assets", "resources", "publishing", "llm_analysis", "ranking", "pdf_reading",
          "arxiv_domain"]
DAGSTER_LAYERS = {"orchestration", "assets", "resources"}
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
SHARED = {"sql"}  # the SQL files' loader: plain, imports nothing of the project
# The offline arXiv stand-in and fault injector: a development tool beside the runtime packages, used by
# the demo command, the tests and the benchmarks; it reads arXiv knowledge and nothing else.
DEV_TOOLS = {"replay"}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in `path`, nested imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import of a project package in `path`."""
    ours = {*LAYERS, *SHARED, *DEV_TOOLS, "tests", "bench"}
    return [(line, name) for line, name in imports_of(path) if name.split(".")[0] in ours]


def modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_one_way(package):
    allowed = set(LAYERS[LAYERS.index(package):]) | SHARED | (DEV_TOOLS if package == "orchestration" else set())
    wrong = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for path in modules(package) for line, name in project_imports(path)
             if name.split(".")[0] not in allowed]
    assert not wrong, "\n".join(wrong)


def test_the_domain_package_and_sql_import_nothing_of_the_project():
    for package in ("arxiv_domain", "sql"):
        wrong = [f"{path.relative_to(REPO)}:{line} imports {name}" for path in modules(package)
                 for line, name in project_imports(path) if name.split(".")[0] != package]
        assert not wrong, "\n".join(wrong)


def test_the_replay_tool_reads_only_arxiv_knowledge():
    wrong = [f"{path.relative_to(REPO)}:{line} imports {name}" for path in modules("replay")
             for line, name in project_imports(path) if name.split(".")[0] not in {"replay", "arxiv_domain"}]
    assert not wrong, "\n".join(wrong)


def test_nothing_imports_dagsters_private_modules():
    """Dagster's public API only (`dagster`, `dagster_duckdb`): its private modules change between releases."""
    wrong = []
    for package in [*LAYERS, *SHARED, *DEV_TOOLS, "bench", "tests"]:
        for path in modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                wrong += [f"{path.relative_to(REPO)}:{node.lineno} imports {n}" for n in names
                          if n.split(".")[0].startswith("dagster") and any(p.startswith("_") for p in n.split("."))]
    assert not wrong, "\n".join(wrong)


def test_no_language_branch_in_python():
    """Words live in publishing/wording.py and one template per output: code never asks which language it is."""
    import re

    branch = re.compile(r"""language\s*[!=]=|[!=]=\s*language\b|==\s*["'](zh|en)["']""")
    wrong = [f"{path.relative_to(REPO)}:{n}: {line.strip()}" for package in LAYERS for path in modules(package)
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if branch.search(line)]
    assert not wrong, "\n".join(wrong)
    assert sorted(p.name for p in (REPO / "publishing" / "templates").glob("*.md.j2")) == ["report.md.j2"]


def test_only_the_dagster_layers_import_dagster():
    wrong = [f"{path.relative_to(REPO)}:{line} imports {name}"
             for package in set(LAYERS) - DAGSTER_LAYERS for path in modules(package)
             for line, name in imports_of(path) if name.split(".")[0].startswith("dagster")]
    assert not wrong, "\n".join(wrong)


def test_every_module_under_assets_defines_dagster_definitions():
    """assets/ holds the Dagster definitions, one module per stage; the code they call lives in the domain packages."""
    bare = [path.relative_to(REPO) for path in modules("assets") if path.name != "__init__.py"
            if not any(marker in path.read_text(encoding="utf-8") for marker in ("@dg.asset", "dg.DailyPartitions"))]
    assert not bare, bare


def test_no_function_or_module_outgrows_a_reader():
    long = []
    for package in [*LAYERS, "sql", *DEV_TOOLS]:
        for path in modules(package):
            text = path.read_text(encoding="utf-8")
            if len(text.splitlines()) > MAX_MODULE_LINES:
                long.append(f"{path.relative_to(REPO)}: {len(text.splitlines())} lines")
            long += [f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines"
                     for node in ast.walk(ast.parse(text))
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                     and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, "\n".join(long)


def test_no_module_imports_itself_through_others():
    """No import circle: modules that import each other, directly or through others, are one concern split
    in two (an import inside a function hides one from Python, not from this test)."""
    names = {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
             for package in [*LAYERS, "sql"] for p in modules(package)}
    graph = {name: {target for _, imported in project_imports(path)
                    if (target := imported if imported in names else imported.rsplit(".", 1)[0]) in names
                    and target != name}
             for name, path in names.items()}
    circles, done = [], set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            circles.append(" -> ".join(trail[trail.index(name):] + [name]))
            return
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert not circles, "\n".join(circles)


def test_the_checker_sees_a_wrong_import(tmp_path):
    """The check above can fail: a module of `assets` reaching up into orchestration is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ndef f():\n    from orchestration.cli import main\n")
    assert project_imports(bad) == [(4, "orchestration.cli")]


def test_no_module_imports_another_modules_private_names():
    wrong = []
    for package in [*LAYERS, "sql", "bench", "tests"]:
        for path in modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in {*LAYERS, *SHARED}:
                    wrong += [f"{path.relative_to(REPO)}:{node.lineno} imports {node.module}.{a.name}"
                              for a in node.names if a.name.startswith("_")]
    assert not wrong, "\n".join(wrong)


def test_importing_every_module_reads_no_settings_and_builds_nothing(tmp_path):
    """Import every project module with a configuration file that does not exist and an environment
    full of invalid values: an import that read settings would fail."""
    names = [".".join(p.relative_to(REPO).with_suffix("").parts) for package in LAYERS for p in modules(package)]
    names = [n.removesuffix(".__init__") for n in names if not n.endswith(".__main__")]  # entry points run on import
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok')\n"
    env = {"PATH": "/usr/bin:/bin", "ARXIV_MONITOR_CONFIG": str(tmp_path / "missing.toml"),
           "ARXIV_MONITOR_STEP_RETRY_DELAY": "not a number", "ARXIV_MONITOR_START_DATE": "not a date",
           "ARXIV_MONITOR_HOME": str(tmp_path / "home"), "DAGSTER_HOME": str(tmp_path / "dagster")}
    out = subprocess.run([sys.executable, "-c", script, *names], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]
    assert not (tmp_path / "home").exists()  # nothing was created either


def test_definitions_are_built_by_a_function_dagster_calls(tmp_path, monkeypatch):
    import dagster as dg

    from orchestration import definitions

    monkeypatch.setenv("ARXIV_MONITOR_CONFIG", str(tmp_path / "missing.toml"))
    assert not isinstance(definitions.defs, dg.Definitions)  # lazy: nothing was read at import
    from resources.settings import ConfigError

    with pytest.raises(ConfigError, match="configuration file not found"):
        definitions.build_definitions(definitions.load_settings())


def test_every_name_imported_from_the_project_exists():
    """Imports inside functions only fail when that function runs (the benchmarks', which `make test` never
    runs, import inside their functions): resolve them all here."""
    import importlib

    missing = []
    for package in [*LAYERS, "sql", *DEV_TOOLS, "bench", "tests"]:
        for path in modules(package):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                        and node.module.split(".")[0] in {*LAYERS, *SHARED, *DEV_TOOLS, "tests", "bench"}):
                    continue
                module = importlib.import_module(node.module)
                for alias in node.names:
                    if not hasattr(module, alias.name):
                        try:
                            importlib.import_module(f"{node.module}.{alias.name}")
                        except ImportError:
                            missing.append(f"{path.relative_to(REPO)}:{node.lineno} {node.module}.{alias.name}")
    assert not missing, "\n".join(missing)


def test_every_command_dispatches_to_a_function_that_exists():
    """The CLI imports the chosen command's module by name: each name must resolve, and each command parse."""
    import importlib

    from orchestration.cli import COMMANDS, build_parser

    parser_commands = set(build_parser()._subparsers._group_actions[0].choices)
    assert parser_commands == set(COMMANDS)
    for command, target in COMMANDS.items():
        module, name = target.split(":")
        assert callable(getattr(importlib.import_module(f"orchestration.cli.{module}"), name, None)), command
