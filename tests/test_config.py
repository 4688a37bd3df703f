"""harness.toml is checked where it is read: every bad value is an InputError naming the file and the
`section.key`, never a traceback, a hang or a silently wrong setting."""

import math
import os
import signal
import tempfile
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.config import RANGES, SECTIONS, Config, load_config
from harness.config.gate_settings import GATE_KEYS, GateConfig
from harness.document import InputError
from harness.registry import GATED


@contextmanager
def no_hang(seconds: int = 10):
    """Fail (rather than block the suite forever) if reading a FIFO ever waits for a writer."""

    def alarm(signum, frame):
        raise AssertionError(f"blocked for {seconds}s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def config_error(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "harness.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert err.value.path == str(path)
    return err.value


@pytest.mark.parametrize(
    "text, field, expected",
    [
        ("[evidence]\ntop_k = 0", "evidence.top_k", "a whole number >= 1"),
        ("[evidence]\ntop_k = -3", "evidence.top_k", "a whole number >= 1"),
        ("[evidence]\ntop_k = 2.5", "evidence.top_k", "a whole number >= 1"),
        ("[evidence]\ntop_k = true", "evidence.top_k", "a whole number >= 1"),
        ("[evidence]\nlexical_weight = 1.5", "evidence.lexical_weight", "a finite number in [0, 1]"),
        ("[evidence]\nlexical_weight = -0.1", "evidence.lexical_weight", "a finite number in [0, 1]"),
        ("[evidence]\nlexical_weight = nan", "evidence.lexical_weight", "a finite number in [0, 1]"),
        ("[coverage]\nthreshold = nan", "coverage.threshold", "a finite number in [0, 1]"),
        ("[coverage]\nthreshold = 1.01", "coverage.threshold", "a finite number in [0, 1]"),
        ("[coverage]\nthreshold = '0.5'", "coverage.threshold", "a finite number in [0, 1]"),
        ("[summary]\nsharpness = 0", "summary.sharpness", "a finite number > 0"),
        ("[summary]\nsharpness = -10.0", "summary.sharpness", "a finite number > 0"),
        ("[summary]\nsharpness = inf", "summary.sharpness", "a finite number > 0"),
        ("[summary]\nsharpness = 1" + "0" * 400 + ".0", "summary.sharpness", "a finite number > 0"),  # parses as inf
        ("[ingest]\nmax_file_mb = 0", "ingest.max_file_mb", "a finite number in (0, 1024]"),
        ("[ingest]\nmax_file_mb = -1", "ingest.max_file_mb", "a finite number in (0, 1024]"),
        ("[ingest]\nmax_file_mb = nan", "ingest.max_file_mb", "a finite number in (0, 1024]"),
        ("[judge]\noptions = 5", "judge.options", "a table of judge options"),
        ("[judge]\nname = 3", "judge.name", "a non-empty string"),
        ("[paths]\ngold = ''", "paths.gold", "a non-empty string"),
        ('[paths]\ngold = "a\\u0000b"', "paths.gold", "without NUL"),
        ("paths = 1", "paths", "expected a table [paths]"),
        ("[evidence]\ntopk = 3", "evidence.topk", "unknown key"),
        ("[nonsense]\nx = 1", "[nonsense]", "unknown section"),
    ],
)
def test_bad_values_name_file_field_and_range(tmp_path, text, field, expected):
    error = config_error(tmp_path, text)
    assert error.field == field and expected in error.problem, str(error)


def test_each_range_is_stated_once_and_quoted_in_the_error(tmp_path):
    keys = {name: (section, key) for section, table in SECTIONS.items() for key, name in table.items()}
    for name, allowed in RANGES.items():
        section, key = keys[name]
        error = config_error(tmp_path, f"[{section}]\n{key} = nan")
        assert error.problem == f"expected {allowed.describe()}, got nan"


def test_bounds_themselves_are_accepted(tmp_path):
    path = tmp_path / "harness.toml"
    path.write_text(
        "[evidence]\ntop_k = 1\nlexical_weight = 0\n[coverage]\nthreshold = 1\n"
        "[summary]\nsharpness = 0.001\n[ingest]\nmax_file_mb = 1024\n[judge]\noptions = {chunks = 'all'}\n"
    )
    config = load_config(path)
    assert (config.top_k, config.lexical_weight, config.coverage_threshold) == (1, 0.0, 1.0)
    assert isinstance(config.lexical_weight, float) and config.judge_options == {"chunks": "all"}
    assert load_config(ROOT / "harness.toml").summary_sharpness == 10.0


def test_a_fifo_or_folder_as_config_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "harness.toml"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with no_hang(), pytest.raises(InputError, match="not a regular file") as err:
            load_config(path)
        assert err.value.path == str(path)


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"[paths]\ngold = 'x'\n" + b"# padding\n" * 120_000, "over the 1 MB limit"),
        (b"[paths]\ngold = '\xff'\n", "invalid UTF-8 at byte 16"),
        (b"a = " + b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"a = 1" + b"0" * 5000, "invalid TOML"),
        (b"[paths\n", "invalid TOML"),
    ],
)
def test_unreadable_config_files(tmp_path, content, problem):
    path = tmp_path / "harness.toml"
    path.write_bytes(content)
    with pytest.raises(InputError, match=problem) as err:
        load_config(path)
    assert err.value.path == str(path)
    with pytest.raises(InputError, match="file not found"):
        load_config(tmp_path / "missing.toml")


# ---- property: any TOML table either loads or is an InputError ---------------------------------------------


def toml_value(value) -> str:
    """A tiny TOML writer for the values below (tomllib reads but does not write)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        escaped = "".join(
            '\\"' if c == '"' else "\\\\" if c == "\\" else f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c
            for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


KEYS = sorted(
    {k for table in SECTIONS.values() for k in table}
    | set(SECTIONS)
    | set(GATE_KEYS)
    | set(GATED)
    | {f"{b}_{m}" for b in ("min", "max") for m in ("faithfulness", "contradicted")}
    | {"junk", "min_", ""}
)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=6)
key = st.sampled_from(KEYS) | text
scalar = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.integers(-3, 200_001)
    | st.floats()
    | text
    | st.sampled_from([0, 1, 0.5, -1, 100, 100_000, float("nan"), float("inf"), "no", "true"])
)
value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(key, inner, max_size=3), max_leaves=8
)
table = st.dictionaries(key, value, max_size=4)
gate = (
    st.fixed_dictionaries(
        {},
        optional={
            "thresholds": table,
            "story": st.dictionaries(key, table | value, max_size=2),
            "system": st.dictionaries(key, table | value, max_size=2),
            "tolerance": table,
            "baseline": scalar,
            "fail_on_missing": scalar,
            "bootstrap_samples": scalar,
            "seed": scalar,
            "junk": value,
        },
    )
    | value
)
document = st.fixed_dictionaries(
    {},
    optional={
        **{
            section: st.fixed_dictionaries({}, optional={k: scalar | value for k in keys}) | table | value
            for section, keys in SECTIONS.items()
        },
        "gate": gate,
        "junk": table,
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document)
def test_any_toml_config_loads_or_is_an_input_error(document):
    text = "".join(f"{toml_value(k)} = {toml_value(v)}\n" for k, v in document.items())
    tomllib.loads(text)  # the writer above is right, so the loaders see exactly this table
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "harness.toml"
        path.write_text(text, "utf-8")
        try:
            loaded = load_config(path)
        except InputError as error:
            assert error.path == str(path) and error.problem
        else:
            assert isinstance(loaded, Config) and isinstance(loaded.gate, GateConfig)


# ---- one settings table ---------------------------------------------------------------------------------


def test_the_documented_settings_are_the_defaults(tmp_path):
    """What `harness init` writes (commented out) reads back, uncommented, as the built-in defaults."""
    from harness.config import SETTINGS, documented_settings

    text = documented_settings(skip=("cache",)).replace("# [", "[")
    text = "\n".join(line[2:] if line.startswith("# ") and " = " in line else line for line in text.splitlines())
    path = tmp_path / "harness.toml"
    path.write_text("[paths]\n" + text, "utf-8")
    loaded, defaults = load_config(path), Config()
    for setting in SETTINGS:
        if setting.name != "cache" and not setting.path:
            assert getattr(loaded, setting.name) == getattr(defaults, setting.name), setting.name


def test_cli_help_and_cache_key_come_from_the_table():
    from harness.config import SCORING_FIELDS, SETTINGS, settings_help

    listed = settings_help()
    assert all(f"{s.section}.{s.key} (" in listed for s in SETTINGS)
    assert set(SCORING_FIELDS) == {s.name for s in SETTINGS if s.scoring} and "reports" not in SCORING_FIELDS
    assert set(RANGES) == {s.name for s in SETTINGS if s.allowed is not None}


def test_one_cache_location_rule(monkeypatch, tmp_path):
    """The CLI without a config and the Python API cache in the same place; a config file names its own."""
    from harness.config import api_config

    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "shared"))
    assert Config().cache == api_config().cache == str(tmp_path / "shared")
    (tmp_path / "harness.toml").write_text('[paths]\ncache = "here"\n', "utf-8")
    assert load_config(tmp_path / "harness.toml").cache == str(tmp_path / "here")


def test_a_bad_judge_setting_names_the_config_file(tmp_path, capsys):
    from harness.cli import main

    (tmp_path / "harness.toml").write_text('[judge]\nname = "nope"\n', "utf-8")
    for command in ("validate", "run"):
        assert main([command, "--config", str(tmp_path / "harness.toml"), "--quiet"]) == 2
        error = capsys.readouterr().err
        assert f"{tmp_path / 'harness.toml'}: judge: unknown judge 'nope'" in error, error


def test_every_setting_is_a_typed_config_field_whose_metadata_declares_it():
    from dataclasses import fields

    from harness.config import SETTINGS, Config

    declared = {f.name: f for f in fields(Config) if "setting" in f.metadata}
    assert [s.name for s in SETTINGS] == list(declared)  # SETTINGS is read from the fields, in their order
    for row in SETTINGS:
        assert Config.__annotations__[row.name] == row.python_type().__name__, row.name  # the type agrees
        assert getattr(Config(), row.name) == row.usual or row.name == "cache"


def test_model_folders_named_relative_to_the_config_file_are_resolved_against_it(tmp_path):
    (tmp_path / "harness.toml").write_text(
        '[models]\nconsistency = "./models/mine"\nembedding = "./models/embed"\n[coverage]\nmodel = "./models/nli"\n',
        "utf-8",
    )
    config = load_config(tmp_path / "harness.toml")
    assert (config.consistency_model, config.embedding_model, config.coverage_model) == (
        str(tmp_path / "models/mine"),
        str(tmp_path / "models/embed"),
        str(tmp_path / "models/nli"),
    )
    assert load_config(None).coverage_model == "harness-nli-minilm"  # a shipped name stays a name
