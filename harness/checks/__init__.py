"""Precise fact checks: each compares a claim with the story's sources and says pass, fail or n/a.

The registry. Every module of this package that declares a module-level `CHECK` (a
harness.checks.declaration.Check) is a check; the modules are found when the package is imported, so a new check
is one new file here (plus its tests) and nothing else. This example runs under pytest
(tests/test_registration.py):

    >>> # harness/checks/units.py: a claim's "km" or "miles" must be the sources' unit
    >>> from harness.checks.declaration import CONFLICT, FAIL, NA, PASS, Check, CheckName, CheckResult, SourceFacts
    >>> def units(text: str) -> set[str]:
    ...     return {word for word in text.replace(".", " ").split() if word in ("km", "miles")}
    >>> def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    ...     said, stated = units(claim), units(" ".join(sources.sentences))
    ...     if not said:
    ...         return [CheckResult("unit", NA)]
    ...     if said <= stated:
    ...         return [CheckResult("unit", PASS)]
    ...     return [CheckResult("unit", FAIL, f"{', '.join(sorted(said - stated))} vs {sorted(stated)}", CONFLICT)]
    >>> CHECK = Check(order=55, names=(CheckName("unit", decisive=False),), run=run)
    >>> sources = SourceFacts(["The road is 40 km long."])
    >>> [r.status for r in CHECK.run("A 40 km road.", sources, None) + CHECK.run("A 40 miles road.", sources, None)]
    ['pass', 'fail']
    >>> CHECK.run("A 40 miles road.", sources, None)[0].reason
    "miles vs ['km']"

`order` places its results in every claim's list (and the `checks` column of claims.csv); `decisive` says
whether a failure decides the verdict alone (DECISIVE); `feature` names the calibrated judge's feature
group it counts in (harness.judges.calibrated; a group the fitted model does not know is simply not one of
its features). Modules without `CHECK` (base, align) are helpers. A check module imports only
harness.checks.declaration and other check modules, never this package, so importing it runs no cycle.
"""

from __future__ import annotations

import importlib
import pkgutil

from harness.checks.declaration import Check, CheckResult, SourceFacts


def discover() -> tuple[Check, ...]:
    """The `CHECK` of every module of this package, in `order`. Two checks in one place, or two modules
    giving one name, is a programming error, raised at import."""
    found: dict[int, tuple[str, Check]] = {}
    names: dict[str, str] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        check = getattr(module, "CHECK", None)
        if not isinstance(check, Check):
            continue
        if check.order in found:
            raise ValueError(f"checks {found[check.order][0]} and {module_info.name} both take order {check.order}")
        found[check.order] = (module_info.name, check)
        for entry in check.names:
            if entry.name in names:
                raise ValueError(f"checks {names[entry.name]} and {module_info.name} both give '{entry.name}'")
            names[entry.name] = module_info.name
    return tuple(check for _, (_, check) in sorted(found.items()))


CHECKS = discover()
# Checks precise enough to decide a verdict on their own; the others are features the judges weigh.
DECISIVE = tuple(entry.name for check in CHECKS for entry in check.names if entry.decisive)
# Each check name -> the calibrated judge's feature group it counts in.
FEATURE_GROUPS = {entry.name: entry.group for check in CHECKS for entry in check.names}


def run_checks(
    claim: str, sources: SourceFacts, evidence: str | None = None, only: tuple[str, ...] | None = None
) -> list[CheckResult]:
    """Every check on one claim, or only the results named in `only` (and only the checks that give them are
    run: coverage needs three of them, and the others parse, tag and align); `evidence` is the best evidence
    passage (for the negation and meaning checks)."""
    chosen = CHECKS if only is None else [c for c in CHECKS if any(e.name in only for e in c.names)]
    results = [result for check in chosen for result in check.run(claim, sources, evidence)]
    return results if only is None else [r for r in results if r.check in only]


def prefetch(texts: list[str]) -> None:
    """Let the checks batch what they will need for these texts (NER in one pass) before they run one by one."""
    for check in CHECKS:
        if check.prefetch is not None:
            check.prefetch(texts)


def forget_memory() -> None:
    """Empty what the checks remember per process (entities, aligned words): benchmarks time cold runs."""
    for check in CHECKS:
        if check.forget is not None:
            check.forget()
