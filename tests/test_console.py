"""What the CLI prints reads as English: counts agree with their nouns, sizes are in units people read."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.cli.console import counted, human_size


@pytest.mark.parametrize(
    "n, words, expected",
    [
        (0, ("error",), "0 errors"),
        (1, ("error",), "1 error"),
        (1, ("story", "stories"), "1 story"),
        (3, ("story", "stories"), "3 stories"),
        (1200, ("claim",), "1200 claims"),
    ],
)
def test_counts_agree_with_their_nouns(n, words, expected):
    assert counted(n, *words) == expected


@pytest.mark.parametrize(
    "size, expected",
    [
        (1, "1 byte"),
        (512, "512 bytes"),
        (14_300, "14 KB"),
        (2_500, "2.5 KB"),
        (3_200_000, "3.2 MB"),
        (7_000_000_000, "7.0 GB"),
    ],
)
def test_sizes_are_in_units_people_read(size, expected):
    assert human_size(size) == expected  # a 14 KB baseline was "(0.0 MB)"


def test_validate_counts_one_story_in_the_singular(tmp_path, capsys):
    story = tmp_path / "gold" / "s"
    story.mkdir(parents=True)
    (story / "article.txt").write_text("The council approved the budget on Monday.\n")
    (story / "story.yaml").write_text("title: S\nreferences: [{file: article.txt}]\n")
    (tmp_path / "candidates" / "s").mkdir(parents=True)
    (tmp_path / "candidates" / "s" / "a.txt").write_text("The budget was approved.\n")
    (tmp_path / "harness.toml").write_text('[paths]\ngold = "gold"\ncandidates = "candidates"\n')
    assert main(["validate", "--config", str(tmp_path / "harness.toml")]) == 0
    assert capsys.readouterr().out.strip() == "1 story, 2 files read, 0 problems"


def test_a_run_without_a_gold_folder_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # an empty folder: no harness.toml, no gold/
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "gold folder does not exist" in err
    assert f"no --config and no harness.toml in {tmp_path}: using the built-in defaults" in err
    assert list(tmp_path.iterdir()) == []  # no empty reports/ left behind


def test_a_named_config_gets_no_defaults_note(tmp_path, capsys):
    (tmp_path / "harness.toml").write_text('[paths]\ngold = "nowhere"\n')
    assert main(["validate", "--config", str(tmp_path / "harness.toml")]) == 2
    assert "built-in defaults" not in capsys.readouterr().err


def _project(root, story="cruise-deaths", yaml_extra=""):
    gold = root / "gold" / story
    gold.mkdir(parents=True)
    (gold / "article.txt").write_text("Two passengers died on the cruise ship on Monday.\n")
    (gold / "story.yaml").write_text(f"title: S\nreferences: [{{file: article.txt}}]\n{yaml_extra}")
    (root / "harness.toml").write_text('[paths]\ngold = "gold"\ncandidates = "candidates"\n')


def test_a_mistyped_config_key_or_section_suggests_the_right_one(tmp_path, capsys):
    (tmp_path / "h.toml").write_text("[evidence]\ntopk = 3\n")
    assert main(["validate", "--config", str(tmp_path / "h.toml")]) == 2
    assert "evidence.topk: unknown key (did you mean 'top_k'?)" in capsys.readouterr().err
    (tmp_path / "h.toml").write_text("[judges]\nname = 'nli'\n")
    assert main(["validate", "--config", str(tmp_path / "h.toml")]) == 2
    assert "[judges]: unknown section (did you mean 'judge'?)" in capsys.readouterr().err


def test_a_mistyped_story_yaml_key_suggests_the_right_one(tmp_path, capsys):
    _project(tmp_path, yaml_extra="summary: [{file: article.txt}]\n")
    (tmp_path / "candidates" / "cruise-deaths").mkdir(parents=True)
    (tmp_path / "candidates" / "cruise-deaths" / "a.txt").write_text("Two passengers died.\n")
    assert main(["validate", "--config", str(tmp_path / "harness.toml")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'summary' (did you mean 'summaries'?)" in err and "Additional properties" not in err


def test_a_candidates_folder_one_letter_off_its_story_suggests_it(tmp_path, capsys):
    _project(tmp_path)
    _project(tmp_path, story="port-fire")  # two stories, so candidates/<story>/ folders are read
    (tmp_path / "candidates" / "cruise-death").mkdir(parents=True)
    (tmp_path / "candidates" / "cruise-death" / "a.txt").write_text("Two passengers died.\n")
    assert main(["validate", "--config", str(tmp_path / "harness.toml")]) == 2
    assert "candidates for story 'cruise-death' have no references" in (err := capsys.readouterr().err)
    assert "(did you mean 'cruise-deaths'?)" in err


def test_candidate_lines_keep_their_columns_across_stories():
    from harness.cli.run_commands import candidate_lines

    def record(story, name, supported, faithfulness=0.5):
        counts = {"supported": supported, "contradicted": 0, "unsupported": 1, "artefact": 0}
        return {
            "story": story,
            "id": name,
            "metrics": {"faithfulness": faithfulness, "weighted_coverage": None, **counts},
        }

    lines = candidate_lines([record("a", "digest", 9), record("long-story-name", "x", 12, None)])
    assert len({line.index("faithfulness") for line in lines}) == 1
    assert len({line.index("contradicted") for line in lines}) == 1  # "supported 9" padded to "supported 12"'s width
    assert "faithfulness  n/a" in lines[1] and "coverage  n/a" in lines[0]


@pytest.mark.parametrize(
    "toml, expected",
    [
        (
            "[gate]\nmin_faithfulness = 0.5\n",
            "gate.min_faithfulness: unknown key (a threshold: put it under [gate.thresholds])",
        ),
        ("[gate]\ntolerence = {}\n", "gate.tolerence: unknown key (did you mean 'tolerance'?)"),
        (
            "[gate.thresholds]\nmin_faithfulnes = 0.5\n",
            "unknown threshold 'min_faithfulnes' (did you mean 'min_faithfulness'?)",
        ),
        (
            "[gate.tolerance]\nfaithfulnes = 0.1\n",
            "gate.tolerance.faithfulnes: unknown metric (did you mean 'faithfulness'?)",
        ),
    ],
)
def test_a_mistyped_gate_setting_suggests_the_right_one(tmp_path, capsys, toml, expected):
    (tmp_path / "h.toml").write_text(toml)
    assert main(["validate", "--config", str(tmp_path / "h.toml")]) == 2
    assert expected in capsys.readouterr().err
