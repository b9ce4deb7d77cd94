"""Duplicates: MinHash and LSH (minhash), who merges into whom (resolve), and the persisted dedup
index of a dataset (index)."""
