"""The project's modules import one way: each only from the rooms below it (docs/usage.md)."""
import ast

from conftest import ROOT

LAYERS = [  # from the bottom up: the task, the checks, what writes and runs, the report, the flags,
    ("data",), ("lanes",), ("files", "memory"), ("process",), ("report",), ("cli",), ("quiet_tf",),  # the two scripts,
    ("broken_rnn", "fixed_rnn"), ("side_by_side", "lanes_examples", "lesson"), ("experiments",),  # what runs them
]


def imports(module):
    """The project modules that `module` imports, at its top or anywhere inside."""
    tree = ast.parse((ROOT / f"{module}.py").read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return names & {module for layer in LAYERS for module in layer}


def test_every_module_imports_only_from_below():
    level = {module: number for number, layer in enumerate(LAYERS) for module in layer}
    assert set(level) == {path.stem for path in ROOT.glob("*.py") if path.stem != "noxfile"}  # every module placed
    upward = [(module, other) for module in level for other in imports(module) if level[other] >= level[module]]
    assert upward == []


def test_no_module_loads_another_by_name():
    # importlib with a computed name (a script's file name) hides an import from the check above
    assert [path.name for path in ROOT.glob("*.py") if "importlib.import_module" in path.read_text()] == []
