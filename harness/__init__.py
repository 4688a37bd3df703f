"""A summarisation evaluation harness: claims, evidence, fact checks, faithfulness, coverage, ROUGE, reports.

The modules follow the data's path: ingest -> claims -> evidence -> checks -> judge -> metrics -> report
(ARCHITECTURE.md names the file of each stage). The public Python API:

    from pathlib import Path
    from harness import ConsistencyScorer, evaluate

    evaluate([Path("article.txt")], "The council approved the plan.").metrics    # claims and metrics
    ConsistencyScorer().score(["The council met."], ["The council met on Monday."])  # [score or None]

A `str` is always the text itself and a `pathlib.Path` a file; a path written as a str is scored as text.
The names are imported on first use, so `import harness` (and the CLI's start-up) loads no model code.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "evaluate": "harness.api",
    "Evaluator": "harness.api",
    "Evaluation": "harness.api",
    "ConsistencyScorer": "harness.measure.scorer",
    "Config": "harness.config",
    "load_config": "harness.config",
    "Document": "harness.document",
    "KeyFact": "harness.document",
    "InputError": "harness.document",
}
__all__ = [  # the names of _EXPORTS, written out so tools read them (tests/test_api.py checks they agree)
    "ConsistencyScorer",
    "Config",
    "Document",
    "Evaluation",
    "Evaluator",
    "InputError",
    "KeyFact",
    "evaluate",
    "load_config",
    "__version__",
]

if TYPE_CHECKING:
    from harness.api import Evaluation, Evaluator, evaluate
    from harness.config import Config, load_config
    from harness.document import Document, InputError, KeyFact
    from harness.measure.scorer import ConsistencyScorer


def __getattr__(name: str) -> Any:
    """Import an exported name from its module when first asked for (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
