"""Judges: claim + evidence + checks -> `p_support` in [0, 1] and a verdict; the registry of them.

Verdicts (harness.registry): `supported`, `contradicted` (the sources state something incompatible),
`unsupported` (the sources are silent), `artefact` (not summary content; no `p_support`). The config picks a
judge by name (`[judge] name`, with `[judge] options`):
- evidence (evidence.py, the default): a hand-set logistic curve over the best evidence score;
- calibrated (calibrated.py): a logistic regression over evidence and check features, fitted on SummEdits;
- crossencoder (crossencoder.py): the harness's own cross-encoder model reads claim and evidence chunks;
- nli (nli.py): an NLI model reads each claim sentence by sentence (reader.py), a fitted combiner decides;
- llm (llm.py): an OpenAI-compatible chat endpoint (harness.llm_api talks to it).

The interface (harness.judges.contract). A judge is a subclass of `Judge` in a module of this package that sets
`name` (its harness.toml name) and implements one method, `assess`: one `Assessment` per claim (its
`p_support` and a reason; optionally `p_refuted`, a verdict of its own, an error). `Judge.judge` runs the checks
around it and `decide` turns each Assessment and the checks into a verdict (the decisive checks overrule it).
The modules are found when the package is imported, so a new judge is one new file here (plus its tests) and
nothing else. This example runs under pytest (tests/test_registration.py):

    >>> from harness.checks.declaration import SourceFacts
    >>> from harness.reading.claims import Claim
    >>> from harness.judges.contract import Assessment, Judge
    >>> class LengthJudge(Judge):  # in harness/judges/length.py, `[judge] name = "length"` would pick it
    ...     name = "length"
    ...
    ...     def __init__(self, words: int = 20, threshold: float = 0.5):
    ...         self.words, self.threshold = words, threshold
    ...
    ...     def assess(self, claims, evidence, checks, sources):
    ...         return [Assessment(min(1.0, self.words / len(c.text.split())), "short claims") for c in claims]
    >>> texts = ["Prisoners were freed.", "Five prisoners were freed on Friday after long talks in the capital."]
    >>> claims = [Claim(f"c#{n}", "s", "c", "sys", t, 0, len(t), "paragraph", "") for n, t in enumerate(texts)]
    >>> sources = SourceFacts(["Prisoners were freed on Friday."])
    >>> short, long = LengthJudge(words=5).judge(claims, [[], []], sources)
    >>> short.verdict, short.p_support, short.reason
    ('supported', 1.0, 'short claims')
    >>> long.verdict, long.p_support, long.reason  # 5/12 words, and "Five" is a number no source states
    ('unsupported', 0.125, 'a fact check found a detail the sources never state')

- Its options are its `__init__` parameters: `check_judge` accepts exactly those (a typo in harness.toml is
  one clear line, from `harness validate` too), and `make_judge` passes them as keywords. A judge whose
  `__init__` takes `**options` (and checks them itself) names them in the classmethod `option_names()`.
- What a judge takes from the rest of the configuration (a model, a cache folder) it returns from the
  classmethod `config_options(config)`; `from_config(config, **options)` builds it with both, and those
  parameters are not options a user may set. The default takes nothing from the config.
- Modules without a `Judge` subclass that sets a name are skipped; two judges with one name is an error.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from harness.config import Config
from harness.judges.contract import Judge


def discover() -> dict[str, type[Judge]]:
    """Every named `Judge` subclass defined in a module of this package, by name."""
    found: dict[str, type[Judge]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Judge)
                and value.__module__ == module.__name__
                and value.name
            ):
                if value.name in found:
                    raise ValueError(f"two judges are named '{value.name}': {found[value.name]} and {value}")
                found[value.name] = value
    return found


JUDGES = discover()


def judge_class(name: str) -> type[Judge]:
    """The judge named `name`, or a ValueError naming the judges there are."""
    if name not in JUDGES:
        raise ValueError(f"unknown judge '{name}': expected one of {', '.join(sorted(JUDGES))}")
    return JUDGES[name]


def check_judge(name: str, options: dict) -> None:
    """A judge name from JUDGES and options it takes, or a ValueError saying what it takes: a typo in
    harness.toml is one clear line, found by `validate` too, never a traceback mid-run."""
    accepted = judge_class(name).option_names()
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"[judge] options: judge '{name}' takes no option {', '.join(map(repr, unknown))} "
            f"(it takes: {', '.join(accepted) or 'none'})"
        )
    try:
        judge_class(name).check_values(options)
    except ValueError as exc:
        raise ValueError(f"[judge] options: judge '{name}': {exc}") from exc


def make_judge(name: str, config: Config | None = None, **options: Any) -> Judge:
    """The judge named in the config, with its options and what it reads from the config (its model, a cache
    folder: `Judge.config_options`)."""
    check_judge(name, options)
    return judge_class(name).from_config(config, **options)
