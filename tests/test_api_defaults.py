"""The Python API keeps its caches in the user's cache folder, never in the caller's working directory."""

from pathlib import Path

from harness.config import api_config, user_cache_dir


def test_api_caches_follow_harness_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "mine"))
    assert api_config().cache == str(tmp_path / "mine")


def test_api_caches_default_to_the_user_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("HARNESS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    assert user_cache_dir() == str(tmp_path / "xdg" / "harness")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert Path(api_config().cache) == Path.home() / ".cache" / "harness"
    assert not Path(api_config().cache).is_relative_to(tmp_path)


def test_a_relative_harness_cache_is_one_folder_wherever_it_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HARNESS_CACHE", "relcache")
    assert user_cache_dir() == str(tmp_path / "relcache")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "harness.toml").write_text("[models]\n", "utf-8")
    from harness.config import load_config

    assert load_config(tmp_path / "sub" / "harness.toml").cache == str(tmp_path / "relcache")


def test_a_home_relative_cache_setting_is_expanded(tmp_path, monkeypatch):
    from harness.config import load_config

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "harness.toml").write_text('[paths]\ncache = "~/c"\n', "utf-8")
    assert load_config(tmp_path / "harness.toml").cache == str(tmp_path / "home" / "c")


def test_the_api_leaves_other_libraries_as_it_found_them():
    """The harness hides torch from spaCy and loads nltk's stemmer alone only in its own processes' favour:
    a caller's process keeps thinc's torch support and a whole nltk."""
    import subprocess
    import sys

    script = (
        "from harness.checks.names import nlp; from harness.evaluation.metrics import porter_module; nlp(); porter_module(); "
        "import thinc.compat, nltk; assert thinc.compat.has_torch, 'thinc lost torch'; "
        "assert nltk.stem.porter.PorterStemmer; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
