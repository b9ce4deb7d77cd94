"""One document's steps: the chain, HTML extraction and metadata, the page-dump cleaner
(boilerplate/), normalization, URL canonicalization, per-document limits."""
