"""`harness probe`: each edit kind on fixed sentences, the statistics, determinism, outputs and bad input."""

from __future__ import annotations

import json
import random
import shutil

from conftest import GOLD

from harness import edits
from harness.cli import main
from harness.measure.probe import Probe, build_probes, gate_failures, outcome, wilson
from harness.registry import KINDS, MUST_ACCEPT, MUST_CATCH

SOURCE = edits.Source.of(
    edits.parse().pipe(["Italy and Spain met in Rome.", 'Officials warned of "prison riots" in Caracas.'])
)


def edited(kind: str, sentence: str, seed: int = 0) -> str | None:
    return edits.edit(kind, edits.parse()(sentence), SOURCE, random.Random(seed)).text


def test_negation_inserted_and_removed():
    assert edited("negation", "The government has released five prisoners.") == (
        "The government has not released five prisoners."
    )
    assert edited("negation", "Prisoners were freed on Thursday.") == "Prisoners were not freed on Thursday."
    assert edited("negation", "The talks did not succeed.") == "The talks did succeed."
    assert edited("negation", "They weren't freed.") == "They were freed."
    assert edited("negation", "He never agreed.") == "He always agreed."


def test_antonym_number_and_date():
    assert edited("antonym", "Arrests increased sharply.") == "Arrests decreased sharply."
    assert edited("antonym", "Nothing happened here.") is None
    changed = edited("number", "Between 800 and 900 prisoners are held.")
    assert changed != "Between 800 and 900 prisoners are held." and changed.startswith("Between ")
    assert edited("number", "It happened in 2024.") is None  # a year is a date, not a count
    assert edited("number", "Spain said five nationals were freed.", 1).startswith("Spain said ")
    assert edited("date", "Since the 2024 election, nothing changed.") != "Since the 2024 election, nothing changed."
    assert "Thursday" not in edited("date", "They were freed on Thursday.")
    assert edited("date", "No date is here at all.") is None


def test_entity_and_role_swaps():
    swapped = edited("entity", "Spain said five Spanish nationals were released by Venezuela.")
    assert swapped in (
        "Italy said five Spanish nationals were released by Venezuela.",
        "Spain said five Spanish nationals were released by Italy.",
        "Spain said five Spanish nationals were released by Rome.",
        "Spain said five Spanish nationals were released by Caracas.",
        "Rome said five Spanish nationals were released by Venezuela.",
        "Caracas said five Spanish nationals were released by Venezuela.",
    )
    assert edited("entity", "Prisoners were freed.") is None
    assert edited("roles", "Germany beat France in the final.") == "France beat Germany in the final."
    assert edited("roles", "John Smith praised Maria Lopez.") == "Maria Lopez praised John Smith."


def test_meaning_preserving_edits():
    assert edited("reorder", "The prisoners were freed after the talks ended.") == (
        "After the talks ended, the prisoners were freed."
    )
    assert edited("reorder", "After the talks ended, prisoners were freed.") == (
        "Prisoners were freed after the talks ended."
    )
    assert edited("reorder", "Prisoners were freed.") is None
    assert edited("synonym", "Officials said the talks began.") == "Officials stated the talks began."
    assert edited("drop_modifier", "San Miguel (a rights activist) was freed.") == "San Miguel was freed."
    assert edited("drop_modifier", "The vote was widely disputed.") == "The vote was disputed."
    assert edited("drop_modifier", "It was reportedly freed.") is None  # a hedge is meaning, not a modifier
    quoted = edited("quote", 'He spoke of "national unity and peaceful coexistence".')
    assert quoted == 'He spoke of "national unity and peaceful prison".'  # a noun for a noun, from the source


def test_every_kind_is_documented_and_expects_one_thing():
    assert set(MUST_CATCH) | set(MUST_ACCEPT) == set(KINDS) and not set(MUST_CATCH) & set(MUST_ACCEPT)
    assert all(k.description and k.example for k in KINDS.values())


def test_outcome_and_wilson_interval():
    caught = Probe("s", "s/1", "negation", "a", "b")
    assert outcome(caught, ["supported", "unsupported"]) and not outcome(caught, ["supported"])
    kept = Probe("s", "s/1", "original", "a", "a")
    assert outcome(kept, ["supported"]) and not outcome(kept, ["supported", "contradicted"]) and not outcome(kept, [])
    low, high = wilson(9, 10)
    assert 0.55 < low < 0.6 and 0.98 < high <= 1.0  # 0.596 and 0.982 by the formula
    assert wilson(0, 10)[0] == 0.0 and wilson(0, 0) == (0.0, 1.0)


def test_gate_minimums():
    summary = [
        {"judge": "j", "kind": "negation", "rate": 0.5},
        {"judge": "j", "kind": "number", "rate": None},
    ]
    failures = gate_failures(summary, {"min_catch_negation": 0.8, "min_catch_number": 0.5})
    assert any("negation rate 0.50 < min_catch_negation 0.8" in f for f in failures)
    assert any("no number variant could be made" in f for f in failures)
    assert gate_failures(summary, {"min_catch_negation": 0.4}) == []


def test_probes_are_deterministic_for_a_seed(story):
    first, counts = build_probes([story], tuple(KINDS), 6, seed=3)
    again, _ = build_probes([story], tuple(KINDS), 6, seed=3)
    other, _ = build_probes([story], tuple(KINDS), 6, seed=4)
    assert [(p.kind, p.text) for p in first] == [(p.kind, p.text) for p in again]
    assert [p.text for p in first] != [p.text for p in other]
    assert counts["original"] == {"made": 6, "skipped": 0, "no_site": 0}
    assert counts["other_story"]["made"] == 0 and counts["other_story"]["skipped"] > 0  # counted, never faked
    skipped = [p for p in first if p.skipped]
    assert skipped and all(p.text == "" for p in skipped)
    assert all(c["made"] <= 6 for c in counts.values())


def test_probe_command_on_the_example(tmp_path, capsys):
    out = tmp_path / "probe"
    code = main(["probe", "--quiet", "--max-sentences", "3", "--kinds", "original,negation,antonym", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "evidence       negation       caught" in printed
    document = json.loads((out / "probe.json").read_text("utf-8"))
    assert {r["kind"] for r in document["rates"]} == {"original", "negation", "antonym"}
    table = (out / "probe.csv").read_text("utf-8")
    assert table.startswith("judge,story,sentence,kind,expect")
    assert "CheckResult(" not in table and "antonym:" in table  # failed checks as claims.csv words them
    page = (out / "probe.html").read_text("utf-8")
    assert "<h1>Judge probe</h1>" in page and "{" not in page.split("<table>")[0].split("</style>")[1]
    assert "judges: evidence · kinds: original, negation, antonym · max sentences: 3" in page  # not a dict


def test_probe_gate_minimum_fails_the_command(tmp_path, capsys):
    config = tmp_path / "harness.toml"
    config.write_text(f'[paths]\ngold = "{GOLD.parent}"\n[gate.probe]\nmin_accept_original = 1.01\n', "utf-8")
    assert main(["probe", "--config", str(config), "--max-sentences", "2"]) == 2  # out of range: refused
    assert "gate.probe.min_accept_original" in capsys.readouterr().err
    config.write_text(f'[paths]\ngold = "{GOLD.parent}"\n[gate.probe]\nmin_catch_negation = 1.0\n', "utf-8")
    out = tmp_path / "p"
    code = main(
        ["probe", "--config", str(config), "--quiet", "--max-sentences", "3", "--kinds", "negation", "--out", str(out)]
    )
    printed = capsys.readouterr().out
    assert (code == 1) == ("FAIL probe evidence: negation rate" in printed)


def test_bad_probe_input(tmp_path, capsys):
    assert main(["probe", "--kinds", "negation,sarcasm", "--out", str(tmp_path / "o")]) == 2
    assert "unknown edit kind sarcasm" in capsys.readouterr().err
    gold = tmp_path / "gold" / "tiny"
    gold.mkdir(parents=True)
    (gold / "ref.txt").write_text("Too short.\n\nAlso short.\n", "utf-8")
    assert main(["probe", "--gold", str(gold.parent), "--out", str(tmp_path / "o")]) == 2
    assert "no story has a sentence of 8 to 45 words" in capsys.readouterr().err
    shutil.copytree(GOLD, tmp_path / "gold2" / "s")
    assert main(["probe", "--gold", str(tmp_path / "gold2"), "--judge", "oracle", "--out", str(tmp_path / "o")]) == 2
    assert "oracle" in capsys.readouterr().err
