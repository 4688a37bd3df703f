"""Running stories in parallel: local worker processes (the default for more than one story) or a Ray
cluster. Each worker builds its models and caches once (`open_context`) and evaluates whole stories
(`evaluate_story`); the results come back in story order, identical to a single process's.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from tqdm import tqdm

from harness.config import Config
from harness.document import Story
from harness.evaluation.evaluator import RunContext, StoryOutcome, evaluate_story, open_context

BACKENDS = ("local", "ray")


def default_workers(stories: int) -> int:
    """One process per CPU core, never more than there are stories (a story is the unit of work)."""
    return max(1, min(os.cpu_count() or 1, stories))


def ray_results(stories: list[Story], config: Config, use_cache: bool) -> Iterator[tuple[Story, StoryOutcome]]:
    """Yield (story, outcome) as Ray tasks finish, one task per story, in story order.

    Connects to the cluster named by RAY_ADDRESS (e.g. after `ray start --head`, or "auto"), else starts
    a local instance. Every node needs the harness installed; each keeps its own caches under
    `config.cache` unless that path is on a shared file system."""
    import ray  # optional and heavy: only a run with backend="ray" needs it

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        ray.init(
            address=address or None,
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
            **({} if address else {"num_cpus": os.cpu_count()}),
        )
    task = ray.remote(num_cpus=1)(_ray_task)
    refs = [task.remote(story, config, use_cache) for story in stories]
    for story, ref in zip(stories, refs):
        yield story, ray.get(ref)


def _ray_task(story: Story, config: Config, use_cache: bool) -> StoryOutcome:
    """One story on a Ray worker, with models built for it (a story is far more work than the load)."""
    return evaluate_story(story, config, open_context(config, use_cache))


_WORKER: RunContext | None = None  # a worker process's models and caches, built by _start_worker


def _start_worker(config: Config, use_cache: bool, workers: int) -> None:
    """A local worker process builds its models once, for every story it is given. The model runtimes'
    threads split the cores between the workers instead of each starting one per core (that made two
    workers slower)."""
    global _WORKER
    # Ctrl-C reaches every process of the terminal's group: the run's own process decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # progress bars in a worker (the model libraries' own) would create a cross-process lock that a worker
    # stopped by Ctrl-C leaves behind, and Python warns about it at exit; a worker's bars need no such lock
    tqdm.set_lock(threading.RLock())
    threads = max(1, (os.cpu_count() or 1) // workers)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # read by the ONNX embedder and the cross-encoder (and torch)
    if "torch" in sys.modules:  # a model that runs on torch (a user's hub model) was imported
        sys.modules["torch"].set_num_threads(threads)
    _WORKER = open_context(config, use_cache)


def _worker_task(story: Story, config: Config) -> StoryOutcome:
    return evaluate_story(story, config, _WORKER)


PRELOAD = "harness.run.worker_preload"  # what the fork server loads once for every worker


def _start_method() -> multiprocessing.context.BaseContext:
    """Workers forked from a fork server that has loaded what they need (PRELOAD), where the platform has
    one (Linux, macOS); else each is a fresh interpreter that imports and loads it all itself. Never a plain
    fork of the run's own process: its threads (progress bar, SQLite, a model's) do not survive a fork."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def _start_all(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker. The fork server starts as `python -c`, which puts the current folder first on its
    path: a `harness/` or `tqdm.py` there would be imported instead of the installed one, so it starts with
    PYTHONSAFEPATH (its workers are its forks and inherit its path)."""
    safe = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        for _ in range(workers):  # the pool starts a process per task while none is idle: all of them
            pool.submit(_ready)
    finally:
        if safe is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = safe


def _ready() -> None:
    """A task that does nothing: submitting one per worker makes the pool start them all at once."""


class LocalWorkers:
    """`workers` local processes that build their models as soon as they are created, so a run can create
    them before it reads its inputs and their start-up (imports, models) overlaps its own."""

    def __init__(self, config: Config, use_cache: bool, workers: int):
        self.config, self.count = config, workers
        self.pool = ProcessPoolExecutor(
            workers,
            mp_context=_start_method(),
            initializer=_start_worker,
            initargs=(config, use_cache, workers),
        )
        # from a thread, since the first start waits for the fork server to load PRELOAD; the run goes on
        self._starting = threading.Thread(target=_start_all, args=(self.pool, workers))
        self._starting.start()

    def results(self, stories: list[Story]) -> Iterator[tuple[Story, StoryOutcome]]:
        """Yield (story, outcome) for each story, in story order, then shut the workers down.

        On Ctrl-C, SIGTERM or any error the queued stories are cancelled and the workers stopped at once:
        waiting for the stories they hold would keep an interrupted run alive for minutes."""
        try:
            self._starting.join()
            futures = [self.pool.submit(_worker_task, story, self.config) for story in stories]
            for story, future in zip(stories, futures):
                yield story, future.result()
        except BaseException:
            self.stop()
            raise
        self.pool.shutdown()

    def stop(self) -> None:
        """Stop the workers at once (a run that turned out to need none, or an interrupted one)."""
        self._starting.join()
        _stop_workers(self.pool)

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()  # a no-op once the results are in; at once on an error or Ctrl-C


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and terminate the worker processes (their finished stories are cached).
    A Ctrl-C while stopping must not leave workers behind, nor be lost: it is held until they are stopped,
    then raised (a run whose workers finished just as the user pressed Ctrl-C still stops, exit 130)."""
    held: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    except ValueError:  # not the main thread: signals are not ours to change
        previous = None
    try:
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
        for child in multiprocessing.active_children():
            child.join(timeout=10)
        pool.shutdown(wait=True)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if held and previous is signal.default_int_handler:
        raise KeyboardInterrupt
