"""The type stubs (ecg_anomaly/_native.pyi) name exactly what the extension module has."""

import ast
import pathlib

import ecg_anomaly
from ecg_anomaly import _native

STUBS = pathlib.Path(ecg_anomaly.__file__).with_name("_native.pyi")


def stub_names():
    tree = ast.parse(STUBS.read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        if isinstance(node, ast.AnnAssign):  # __version__: str
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {
                item.name for item in node.body
                if isinstance(item, ast.FunctionDef) and not item.name.startswith("__")
            }
    return top, members


def test_the_stubs_ship_in_the_wheel_and_match_the_module():
    assert STUBS.exists() and STUBS.with_name("py.typed").exists()
    top, members = stub_names()
    public = {name for name in dir(_native) if not name.startswith("_")} | {"__version__"}
    assert top == public
    for cls, names in members.items():
        have = {n for n in dir(getattr(_native, cls)) if not n.startswith("_")}
        if cls == "EcgAnomalyError":
            continue  # an Exception's own attributes (args, with_traceback, ...)
        assert names == have, cls
    assert set(ecg_anomaly.__all__) == public
