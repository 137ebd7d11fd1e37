"""The root of every exception stkkr raises on purpose: `except StkkrError` catches all of ours.

Each family keeps its own module and, where older code caught a builtin, that builtin as a second base
(`SpecError` is still a `ValueError`), so `except ValueError` keeps working. Every message is safe to print:
no token, no row values.

```
StkkrError
├── AfasError                 stkkr_tasks.afas.exceptions: the AFAS client's own tree (see there)
├── NumberTooLargeError (ValueError)  stkkr_tasks.afas.values: a number too long to write out
├── SpecError (ValueError)    stkkr_tasks.spec.errors: a stkkr file does not validate; .problems
├── ExpressionError (ValueError)  stkkr_tasks.spec.errors: an expression failed to compile or evaluate
├── StoreError                stkkr_tasks.store.errors: the stkkr database (config, payload key, retention)
├── TenantError (ValueError)  stkkr_tasks.tenants.errors: customers, users, invoices, requests (see there)
├── ConnectionBlockError (LookupError)  stkkr_tasks.connections: an AfasConnection block cannot be loaded
│   ├── ConnectionNotFoundError       no block of that name
│   └── ConnectionOutdatedError       the block was saved with a schema this stkkr cannot read
├── StkkrFileError (LookupError)      stkkr_tasks.spec.files: no file for a stkkr name, or two
├── DeployError (RuntimeError)        stkkr_tasks.deploy.deploy: a deployment cannot be created
├── TriggerError (RuntimeError)       stkkr_tasks.deploy.trigger: a run could not start or end in time
├── StkkrMismatch                     stkkr_tasks.run.session: the stkkr does not fit the environment
├── ThenError (LookupError)           stkkr_tasks.run.then: a then: chain cannot be followed in-process
├── RunAborted                        stkkr_tasks.tasks._errors: a run cannot go on
├── DemoError (RuntimeError)          stkkr_tasks.demo: `stkkr demo` could not start or run
└── LocalStackError (RuntimeError)    stkkr_tasks.localstack: the local Prefect server or simulator failed
```
"""

from __future__ import annotations

__all__ = ["StkkrError"]


class StkkrError(Exception):
    """Base class of every exception stkkr raises on purpose; its text is safe to show."""
