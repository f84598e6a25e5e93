"""Modules the CLI loads only when a command first uses them.

`artsync --help` and most commands need a fraction of the code; importing every service,
SQLAlchemy, NumPy and pydantic up front made each start take a second. A module named with
``lazy`` is executed at its first attribute access (``importlib.util.LazyLoader``), so a
command pays for what it uses and nothing else. tests/cli/test_startup.py keeps the start-up
import set honest.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """``name``, imported when one of its attributes is first read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module {name}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
