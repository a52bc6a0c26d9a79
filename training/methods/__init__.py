"""One Lightning module per paper method; :func:`build_method` picks it by name."""

from __future__ import annotations

import importlib
from typing import Any

METHOD_MODULES = {"eigen2014": ("training.methods.eigen2014", "Eigen2014Method"),
                  "xian2018": ("training.methods.xian2018", "Xian2018Method"),
                  "li2020": ("training.methods.li2020", "Li2020Method")}


def method_class(name: str):
    """The MethodModule subclass for ``name`` (imported lazily)."""
    if name not in METHOD_MODULES:
        from training.config import ConfigError
        raise ConfigError("method", name, f"expected one of {sorted(METHOD_MODULES)}")
    module, cls = METHOD_MODULES[name]
    return getattr(importlib.import_module(module), cls)


def build_method(config: Any, **kwargs: Any):
    """Instantiate the method module of ``config.method``."""
    return method_class(config.method)(config, **kwargs)
