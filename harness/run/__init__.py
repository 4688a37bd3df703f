"""A run over every story: the pipeline (pipeline.py) and where its stories are evaluated, in this process,
local worker processes or a Ray cluster (workers.py; worker_preload.py is what a worker imports first)."""
