"""Roles: "Person, <role> of <Organisation>" in a claim must match who the sources say holds that role.

When the sources give the same role of the same organisation to someone else and never to the claim's
person (e.g. a claim calls Gonzalo Himiob the director of Foro Penal where the source says Alfredo Romero
is its director), the role is misattributed: a conflict. Decisive: it needs the role word, the
organisation and a different named holder all in one source sentence.
"""

from __future__ import annotations

import re

from harness.checks.declaration import CONFLICT, FAIL, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.checks.names import entities, name_words

ROLE_WORDS = (
    r"head|director|president|leader|chief|chair(?:man|woman|person)?|founder|spokes(?:man|woman|person)|"
    r"minister|secretary|attorney general|governor|mayor|ceo|editor"
)
NAME = r"[A-ZÀ-Ý][\w’'-]+(?: [A-ZÀ-Ý][\w’'-]+)+"
ORG = r"(?:the )?(?:[A-ZÀ-Ý][\w’'.-]*)(?: (?:of |the |for |and |de |del )?[A-ZÀ-Ý][\w’'.-]*)*"
ROLE = re.compile(
    rf"(?P<person>{NAME})(?:,| is| was|, who is)? (?:the |a |an )?(?:[a-z-]+ )?(?P<role>{ROLE_WORDS}) of (?P<org>{ORG})"
)


def roles(text: str) -> list[tuple[str, str, str]]:
    return [(m.group("person"), m.group("role").lower(), m.group("org")) for m in ROLE.finditer(text)]


def _org_key(org: str) -> str:
    return " ".join(w for w in name_words(org) if w not in ("the", "venezuela", "s"))


def _same_person(a: str, b: str) -> bool:
    """Same surname, and the same first name when both give one ("Delcy Rodríguez" is not "Jorge Rodríguez")."""
    x, y = name_words(a), name_words(b)
    return bool(x and y) and x[-1] == y[-1] and (len(x) == 1 or len(y) == 1 or x[0] == y[0])


def check(claim: str, sources: SourceFacts) -> CheckResult:
    claimed = roles(claim)
    if not claimed:
        return CheckResult("role", NA)
    stated = sources.cached("roles", lambda: [r for sentence in sources.sentences for r in roles(sentence)])
    for person, role, org in claimed:
        surname = name_words(person)[-1]
        org_key = _org_key(org)
        named = [p for p, r, o in stated if r == role and _org_key(o) == org_key]
        if named and not any(_same_person(person, p) for p in named):
            return CheckResult(
                "role",
                FAIL,
                f"{person} as {role} of {org.rstrip('.')} vs {named[0]}",
                CONFLICT,
                f"The claim makes {person} the {role} of {org.rstrip('.')}; the sources give that role to {named[0]}.",
            )
        if named:
            continue
        holders = []
        for sentence in sources.sentences:
            folded = f" {' '.join(name_words(sentence))} "
            if not org_key or f" {org_key} " not in folded or not re.search(rf"\b{role}\b", sentence, re.I):
                continue
            if f" {surname} " in folded:
                holders = []
                break  # the sources put this person beside this role and organisation
            holders += [e for e, label in entities(sentence) if label == "PERSON" and name_words(e)[-1:] != [surname]]
        if holders:
            return CheckResult(
                "role",
                FAIL,
                f"{person} as {role} of {org.rstrip('.')} vs {holders[0]}",
                CONFLICT,
                f"The claim makes {person} the {role} of {org}; the sources give that role to {holders[0]}.",
            )
    return CheckResult("role", PASS)


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check(claim, sources)]


CHECK = Check(order=40, names=(CheckName("role", decisive=True),), run=run)
