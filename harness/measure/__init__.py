"""Measuring a judge: one consistency score per (sources, summary) pair (scorer.py), against human labels
(metaeval.py with the statistics of agreement.py), and by behavioural probes of one-edit variants (probe.py)."""
