"""A summarisation evaluation harness: claims, evidence, fact checks, faithfulness, coverage, ROUGE, reports.

The modules follow the data's path: ingest -> claims -> evidence -> checks -> judge -> metrics -> report.
"""
__version__ = "0.1.0"
