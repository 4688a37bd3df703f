"""A summarisation evaluation harness: claims, evidence, fact checks, faithfulness, coverage, ROUGE, reports.

The modules follow the data's path: ingest -> claims -> evidence -> checks -> judge -> metrics -> report.
"""

__version__ = "0.1.0"


def evaluate(sources, summary, key_facts=None, story_date=None, config=None):
    """Evaluate one summary against its sources: see harness.api.evaluate."""
    from harness.api import evaluate as _evaluate

    return _evaluate(sources, summary, key_facts, story_date, config)
