"""What every local worker process needs before its first story, loaded once by the fork server that starts
the workers (harness.run.workers): the package's modules, spaCy's NER pipeline and ROUGE's stemmer. Each worker is
then a fork of a process that holds them rather than a fresh interpreter importing and loading them again
(3.5 s a worker, measured), and the fork server does this while the run reads its inputs.

Imported for its effect by the fork server only; nothing else imports it.
"""

from __future__ import annotations

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle; the fork server must not die of it

import harness.evaluation.evaluator  # noqa: E402, F401 - the whole evaluation path: every module a worker runs
from harness.checks.names import nlp  # noqa: E402
from harness.evaluation.metrics import porter_module  # noqa: E402
from harness.process import own_process  # noqa: E402

own_process()
nlp()  # no threads start: forks of a process holding the loaded pipeline share its pages
porter_module()
