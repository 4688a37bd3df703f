"""The gate's report for people and CI: a console summary of at most CONSOLE_LINES lines whatever the run
size, and the Markdown and JUnit files that hold every check."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from harness.gate.outcome import SHOWN, GateCheck, GateReport, listed

CONSOLE_LINES = 25  # a console summary fits one screen whatever the run size; the files hold every check
MARKDOWN_BYTES = 1_000_000  # GitHub refuses a step summary over 1 MiB: failing claims stop short of it
KIND_ORDER = ("empty", "regression", "error", "unscored", "missing", "threshold")  # the most telling failure first
SCOPE_ORDER = ("run", "system", "candidate")  # run-wide, then system, then candidate checks
_XML_ILLEGAL = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def failure_rank(scope: str, kind: str) -> tuple[int, int]:
    """Sort key that shows regressions first, then errors, missing candidates and thresholds."""
    return (
        KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER),
        SCOPE_ORDER.index(scope) if scope in SCOPE_ORDER else len(SCOPE_ORDER),
    )


def _ordered_failures(report: GateReport) -> list[GateCheck]:
    return sorted(report.failures(), key=lambda c: failure_rank(c.scope, c.kind))


def _first_of_each_kind(failures: list[GateCheck]) -> list[GateCheck]:
    """The first SHOWN failures of each kind, in their order."""
    seen: dict[str, int] = {}
    first = []
    for check in failures:
        seen[check.kind] = seen.get(check.kind, 0) + 1
        if seen[check.kind] <= SHOWN:
            first.append(check)
    return first


def _check_line(c: GateCheck, width: int) -> str:
    return f"{'PASS' if c.passed else 'FAIL':4} {c.scope:9} {c.name:<{width}} {c.kind:10} {c.message}"


def console_summary(report: GateReport, full_list: str, budget: int = CONSOLE_LINES) -> str:
    """At most `budget` lines whatever the run size (a 1,600-candidate gate once printed 4,025): the failing
    checks, the most telling first, with their failing claims and the passing checks while they fit; the
    counts; and `full_list`, where every check is."""
    failures = _ordered_failures(report)
    head = [f"warning: {w}" for w in report.warnings()]
    tail = []
    if failures:
        kinds = [c.kind for c in failures]
        tail.append("failing checks: " + ", ".join(f"{kinds.count(k):,} {k}" for k in dict.fromkeys(kinds)))
    if report.new or report.missing:
        tail.append(
            f"new: {len(report.new):,} ({listed(report.new)}); missing: {len(report.missing):,}"
            + (f" ({listed(report.missing)})" if report.missing else "")
        )
    tail += [f"every check and its failing claims: {full_list}", summary_line(report)]
    room = budget - len(head) - len(tail)
    # What fits, in this order: the first few failures of each kind (a flood of one kind hides no other),
    # their failing claims (a check's claims whole or not at all), more failures, the passing checks.
    chosen = failures if len(failures) <= room else _first_of_each_kind(failures)[: max(room - 1, 0)]
    used = len(chosen) + (len(chosen) < len(failures))
    details: dict[int, list[str]] = {}
    for check in chosen:
        lines = "\n".join(f"       {d}" for d in check.details).splitlines()
        if lines and used + len(lines) <= room:
            details[id(check)] = lines
            used += len(lines)
    chosen_ids = {id(c) for c in chosen}
    rest = [c for c in failures if id(c) not in chosen_ids]
    free = max(room - used, 0)
    more = rest if len(rest) <= free + 1 else rest[:free]  # showing all of them frees the "... and N more" line
    used += len(more) - (1 if rest and len(more) == len(rest) else 0)
    shown = chosen_ids | {id(c) for c in more}
    width = min(max([len(c.name) for c in report.checks] + [10]), 40)
    body = []
    for check in failures:
        if id(check) in shown:
            body += [_check_line(check, width)] + details.get(id(check), [])
    if len(shown) < len(failures):
        body.append(f"... and {len(failures) - len(shown):,} more failing checks")
    passes = [c for c in report.checks if c.passed]
    if used + len(passes) <= room:
        body += [_check_line(c, width) for c in passes]
    return "\n".join(head + body + tail)


def summary_line(report: GateReport) -> str:
    failed = len(report.failures())
    baseline = (
        (
            f"; baseline {report.baseline}: {report.matched:,} matched, {len(report.new):,} new, "
            f"{len(report.missing):,} missing"
        )
        if report.baseline
        else "; no baseline"
    )
    return f"gate {'PASSED' if report.passed else 'FAILED'}: {len(report.checks) - failed:,} of {len(report.checks):,} checks passed{baseline}"


def markdown(report: GateReport) -> str:
    """Every check (failing first; the passing ones folded away), every failing claim, and every new and
    missing candidate: the full list the console summary points to."""

    def cell(text: str) -> str:  # control characters shown as escapes: a file name must not drive a terminal
        return re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group(0)):02x}", text.replace("\n", " ")).replace(
            "|", "\\|"
        )

    def table(checks: list[GateCheck]) -> list[str]:
        return ["| result | scope | name | check | detail |", "|---|---|---|---|---|"] + [
            f"| {'✅' if c.passed else '❌'} | {c.scope} | {cell(c.name)} | {c.kind} | {cell(c.message)} |"
            for c in checks
        ]

    failures = _ordered_failures(report)
    passes = [c for c in report.checks if c.passed]
    lines = [f"## Summary gate: {'✅ passed' if report.passed else '❌ failed'}", "", summary_line(report), ""]
    lines += [f"> **warning:** {cell(w)}\n" for w in report.warnings(limit=None)]
    if failures:
        lines += table(failures) + [""]
    if passes:
        lines += (
            [f"<details><summary>{len(passes):,} passing checks</summary>", ""] + table(passes) + ["", "</details>"]
        )
    for title, names in (("New candidates", report.new), ("Missing candidates", report.missing)):
        if names:
            lines += ["", f"### {title} ({len(names):,})", "", ", ".join(names)]
    with_claims = [c for c in failures if c.details]
    if with_claims:  # every check is listed above; the claims of as many as the size limit allows
        lines += ["", "### Failing claims"]
        size = len("\n".join(lines).encode("utf-8"))
        for n, c in enumerate(with_claims):
            block = ["", f"**{cell(c.name)}** ({c.kind})", "", "```"] + c.details + ["```"]
            size += len("\n".join(block).encode("utf-8")) + 1
            if size > MARKDOWN_BYTES - 200:
                lines += [
                    "",
                    f"The failing claims of {len(with_claims) - n:,} more checks are in the JUnit file "
                    "(--junit) and the run's report.html.",
                ]
                break
            lines += block
    return "\n".join(lines) + "\n"


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters (a claim's text may carry them) would make the file invalid."""
    return _XML_ILLEGAL.sub("", text)


def junit_xml(report: GateReport) -> str:
    suite = ET.Element(
        "testsuite",
        name="harness-gate",
        tests=str(len(report.checks)),
        failures=str(len(report.failures())),
        errors="0",
    )
    if report.warnings():
        properties = ET.SubElement(suite, "properties")
        for warning in report.warnings(limit=None):
            ET.SubElement(properties, "property", name="warning", value=_xml_text(warning))
    for c in report.checks:
        case = ET.SubElement(
            suite, "testcase", classname=f"harness.gate.{c.scope}", name=_xml_text(f"{c.name} [{c.kind}]")
        )
        if not c.passed:
            failure = ET.SubElement(case, "failure", message=_xml_text(c.message))
            failure.text = _xml_text("\n".join([c.message] + c.details))
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True) + "\n"
