"""Reading the texts: a candidate -> its claims (claims.py), each claim -> its evidence among the source
sentences (retrieval.py), source sentences -> chunks that fit a cross-encoder's input (chunks.py)."""
