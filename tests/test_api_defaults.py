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
