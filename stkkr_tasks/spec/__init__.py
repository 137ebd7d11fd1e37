"""The stkkr file format: model, loader, sandboxed expressions, compilation and online validation.

```python
spec = load_stkkr("deployments/examples/close-projects.yaml")   # SpecError lists every problem
compiled = compile_spec(spec)
compiled.where(); compiled.keep(row); compiled.element(row)
```
"""

from __future__ import annotations

from stkkr_tasks.spec._actions import Action
from stkkr_tasks.spec._walk import row_fields
from stkkr_tasks.spec.compiled import CompiledStkkr, compile_spec
from stkkr_tasks.spec.errors import ExpressionError, Problem, SpecError
from stkkr_tasks.spec.fits import misfit
from stkkr_tasks.spec.loader import load_stkkr, load_stkkr_text
from stkkr_tasks.spec.model import StkkrSpec
from stkkr_tasks.spec.online import OnlineCheck, check_online, validate_online
from stkkr_tasks.spec.schema import json_schema

__all__ = [
    "Action",
    "CompiledStkkr",
    "ExpressionError",
    "OnlineCheck",
    "Problem",
    "SpecError",
    "StkkrSpec",
    "check_online",
    "compile_spec",
    "json_schema",
    "load_stkkr",
    "load_stkkr_text",
    "misfit",
    "row_fields",
    "validate_online",
]
