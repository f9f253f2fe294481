"""The three layers and the one direction of their imports (core <- inference <- app; training never imports the
app), no import circle anywhere, and a core light enough to import without the demo's stack."""

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE_THIRD_PARTY = {"torch", "timm", "numpy", "safetensors", "huggingface_hub"}
HEAVY = ("gradio", "matplotlib", "scipy", "sklearn", "pandas")


def layer(path: Path) -> str:
    """core, inference, app or training: the layer a file of the repository belongs to."""
    parts = path.relative_to(ROOT).parts
    if parts[0] == "training":
        return "training"
    if parts == ("app.py",) or parts[:2] == ("mhdf", "app") or parts == ("mhdf", "predict.py"):
        return "app"
    return "inference" if parts[:2] == ("mhdf", "inference") else "core"


def module_layer(module: str) -> str | None:
    """The layer of an imported `mhdf` module; None for anything outside the package."""
    parts = module.split(".")
    if parts[0] != "mhdf":
        return None
    if parts[1:2] == ["app"] or parts[1:2] == ["predict"]:
        return "app"
    return "inference" if parts[1:2] == ["inference"] else "core"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, including those inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append((node.lineno, node.module))
    return found


ALLOWED = {
    "core": {"core"},
    "inference": {"core", "inference"},
    "app": {"core", "inference", "app"},
    "training": {"core", "inference"},
}
SOURCES = sorted([*(ROOT / "mhdf").rglob("*.py"), *(ROOT / "training").rglob("*.py"), ROOT / "app.py"])


PROJECT = ("mhdf", "training", "benchmarks")
GRAPH_SOURCES = sorted([*SOURCES, *(ROOT / "benchmarks").rglob("*.py")])


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_edges(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports, anywhere in it (inside functions and `TYPE_CHECKING` too): `from a
    import b` counts as importing `a.b` when that is a module, else `a`. A package's own children, which its
    `__init__` may re-export, are left out of the package's edges."""
    importer = module_name(path)
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module for a in node.names
            ]
        else:
            continue
        edges |= {target for target in targets if target in known and target != importer}
    if path.name == "__init__.py":
        edges = {edge for edge in edges if not edge.startswith(importer + ".")}
    return edges


def import_graph(paths: list[Path]) -> dict[str, set[str]]:
    known = {module_name(path) for path in paths}
    return {module_name(path): project_edges(path, known) for path in paths}


def test_the_circle_check_finds_a_circle():
    with pytest.raises(graphlib.CycleError):
        graphlib.TopologicalSorter({"a": {"b"}, "b": {"c"}, "c": {"a"}}).prepare()
    graph = import_graph(GRAPH_SOURCES)
    assert "training.data.registry" in graph["training.train"] and "mhdf.app.session" in graph["app"]


def test_no_module_imports_itself_back_through_others():
    try:
        graphlib.TopologicalSorter(import_graph(GRAPH_SOURCES)).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("path", GRAPH_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_takes_another_modules_private_name(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT:
            private = [alias.name for alias in node.names if alias.name.startswith("_")]
            assert not private, f"{path.name}:{node.lineno} takes {node.module}'s private {', '.join(private)}"


def test_the_layer_rule_knows_every_layer():
    assert {layer(path) for path in SOURCES} == {"core", "inference", "app", "training"}
    assert module_layer("mhdf.app.views") == "app" and module_layer("mhdf.inference.explain") == "inference"
    assert module_layer("mhdf.model") == "core" and module_layer("mhdf.metadata.schema") == "core"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(path):
    own = layer(path)
    for line, module in imports(path):
        target = module_layer(module)
        assert target is None or target in ALLOWED[own], f"{path.name}:{line} ({own}) imports {module} ({target})"
        if own == "training":
            assert module.split(".")[0] not in ("app", "gradio"), f"{path.name}:{line} imports {module}"


@pytest.mark.parametrize("path", [p for p in SOURCES if layer(p) == "core"], ids=lambda p: p.name)
def test_core_imports_only_torch_timm_numpy_safetensors_and_huggingface_hub(path):
    for line, module in imports(path):
        top = module.split(".")[0]
        assert top == "mhdf" or top in sys.stdlib_module_names or top in CORE_THIRD_PARTY, (
            f"{path.name}:{line} {module}"
        )


def test_app_py_imports_only_the_app_layer_the_standard_library_and_gradio():
    for line, module in imports(ROOT / "app.py"):
        top = module.split(".")[0]
        assert module_layer(module) == "app" or top in sys.stdlib_module_names or top in ("gradio", "torch"), (
            f"app.py:{line} imports {module}"
        )


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(result.stdout.split())


@pytest.mark.slow
@pytest.mark.parametrize("statement", ["import mhdf", "from mhdf import MHDFConfig, MHDFNet", "import mhdf.metadata"])
def test_importing_the_core_loads_no_part_of_the_demo_stack(statement):
    loaded = {name.split(".")[0] for name in loaded_after(statement)}
    assert not loaded & set(HEAVY), f"{statement} loads {sorted(loaded & set(HEAVY))}"
    # yaml comes with huggingface_hub's utilities, which timm loads itself: nothing beyond what the allowed
    # libraries load
    allowed = "import torch, timm, safetensors.torch, numpy, huggingface_hub.hub_mixin"
    baseline = {name.split(".")[0] for name in loaded_after(allowed)}
    assert loaded - baseline <= {"mhdf"}, f"{statement} loads more than torch and timm do: {sorted(loaded - baseline)}"


@pytest.mark.slow
def test_importing_inference_loads_no_ui():
    loaded = {name.split(".")[0] for name in loaded_after("from mhdf.inference import Predictor")}
    assert not loaded & {"gradio", "matplotlib"}


def test_app_py_is_layout_and_wiring_in_at_most_250_lines_with_no_function_over_80():
    source = (ROOT / "app.py").read_text()
    assert len(source.splitlines()) <= 250
    functions = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)]
    longest = max(functions, key=lambda node: node.end_lineno - node.lineno)
    assert longest.end_lineno - longest.lineno + 1 <= 80, f"{longest.name} is over 80 lines"


@pytest.mark.parametrize("path", sorted((ROOT / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_benchmarks_stand_on_their_own_without_the_tests(path):
    for line, module in imports(path):
        assert module.split(".")[0] != "tests", f"{path.name}:{line} imports {module}"
