"""One story evaluated: the models a process loads (loaded_models.py), key facts (keyfacts.py), per-candidate
metrics (metrics.py) and key-fact coverage (coverage.py), the records a run produces (records.py), the
whole-candidate result cache (result_cache.py), and the per-story driver that joins them (evaluator.py)."""
