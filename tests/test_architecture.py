"""The package's folders are the stages of the data flow, and data moves one way: each
stage imports only `common` and the stages before it (README, Architecture). Checked on
every import statement, lazy ones inside functions included, so a new arrow against the
flow fails here rather than surfacing as an import cycle later."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mine_report"

#: What each stage may import besides itself (README, Architecture).
ALLOWED = {
    "common": set(),
    "plan": {"common"},
    "workbook": {"common", "plan"},
    "intake": {"common", "plan", "workbook"},
    "round": {"common", "plan", "workbook", "intake"},
    "grading": {"common", "plan"},
    "outputs": {"common", "plan", "workbook", "intake", "round", "grading"},
}


def imported_stages(path: Path, root: Path = PACKAGE) -> set[str]:
    """The package's top-level folders a module imports from (relative imports resolved)."""
    stage = path.relative_to(root).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # Imports only for type hints (`if TYPE_CHECKING:`) are not a dependency at run time.
    hints = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
             and getattr(block.test, "id", None) == "TYPE_CHECKING"
             for stmt in block.body for n in ast.walk(stmt)}
    stages = set()
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:  # from .x / from ..x: resolve against the module's folder
                parts = path.relative_to(root).parts[:-1]
                base = parts[:len(parts) - node.level + 1]
                target = [*base, *(node.module or "").split(".")]
                stages.add(target[0] if target and target[0] else stage)
            elif node.module and node.module.startswith("mine_report."):
                stages.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            stages.update(a.name.split(".")[1] for a in node.names
                          if a.name.startswith("mine_report."))
    return stages - {stage}


def test_every_stage_imports_only_the_stages_before_it():
    wrong = {}
    for stage, allowed in ALLOWED.items():
        for path in sorted((PACKAGE / stage).rglob("*.py")):
            extra = imported_stages(path) - allowed
            if extra:
                wrong[path.relative_to(PACKAGE).as_posix()] = sorted(extra)
    assert not wrong, wrong


def test_every_module_sits_in_a_stage_or_is_the_cli_on_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "build.py", "cli.py", "click_ja.py"]
    folders = sorted(p.name for p in PACKAGE.iterdir()
                     if p.is_dir() and p.name not in ("__pycache__", "data"))
    assert folders == sorted(ALLOWED)


def test_the_checker_sees_an_arrow_against_the_flow(tmp_path):
    """The check itself can fail: a lazy absolute import and a relative one are caught."""
    root = tmp_path / "mine_report"
    module = root / "workbook" / "template.py"
    module.parent.mkdir(parents=True)
    module.write_text((PACKAGE / "workbook" / "template.py").read_text(encoding="utf-8")
                      + "\n\ndef f():\n    from mine_report.intake.reader import read_workbook\n"
                      + "from ..grading import schemes\n", encoding="utf-8")
    assert imported_stages(module, root) - ALLOWED["workbook"] == {"intake", "grading"}
