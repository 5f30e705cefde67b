"""The project's modules import one way: each only from the rooms below it (docs/usage.md).
So do the modules of the lanes package, which imports nothing of the project's but itself."""
import ast
import sys

from conftest import ROOT

LAYERS = [  # from the bottom up: the task, the checks, what writes and runs, the report, the flags,
    ("data",), ("lanes",), ("files", "memory"), ("process",), ("report",), ("cli",), ("quiet_tf",),  # the two scripts,
    ("broken_rnn", "fixed_rnn"), ("side_by_side", "lanes_examples", "lesson"), ("experiments",),  # what runs them
]
PACKAGE_LAYERS = [  # lanes/, from the bottom up: words, frameworks, the map and the advice, what reads batches
    ("text",), ("frameworks",), ("maps", "advice"), ("pipelines", "probe"),  # and models, the verdicts, the checks
    ("verdicts",), ("checks",), ("__init__",),
]


def imports(path):
    """The top-level names of what the file at `path` imports, at its top or anywhere inside;
    a relative import (from .maps) as its module's name, with a leading dot."""
    tree = ast.parse(path.read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {"." * node.level + (node.module or "").split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom)}
    return names


def upward(layers, path_of):
    level = {module: number for number, layer in enumerate(layers) for module in layer}
    return [(module, other) for module in level for other in imports(path_of(module))
            if other.lstrip(".") in level and level[other.lstrip(".")] >= level[module]]


def test_every_module_imports_only_from_below():
    modules = {module for layer in LAYERS for module in layer}
    assert modules == {path.stem for path in ROOT.glob("*.py") if path.stem != "noxfile"} | {"lanes"}  # all placed
    assert upward(LAYERS, lambda m: ROOT / "lanes" / "__init__.py" if m == "lanes" else ROOT / f"{m}.py") == []


def test_the_lanes_package_imports_numpy_itself_and_the_standard_library_alone():
    placed = {module for layer in PACKAGE_LAYERS for module in layer}
    assert placed == {path.stem for path in (ROOT / "lanes").glob("*.py")}
    assert upward(PACKAGE_LAYERS, lambda m: ROOT / "lanes" / f"{m}.py") == []
    outside = {name for module in placed for name in imports(ROOT / "lanes" / f"{module}.py")
               if not name.startswith(".")} - set(sys.stdlib_module_names)
    assert outside == {"numpy", "torch", "tensorflow", "keras", "jax"}  # but NumPy: in a function, for their objects


def test_no_module_loads_another_by_name():
    # importlib with a computed name (a script's file name) hides an import from the check above
    assert [path.name for path in [*ROOT.glob("*.py"), *ROOT.glob("lanes/*.py")]
            if "importlib.import_module" in path.read_text()] == []
