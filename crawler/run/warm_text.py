"""Imported by the worker pool's forkserver (its preload list) for every run: loads the language
model once (py3langid's, ~0.75 s of CPU to decompress and unpickle), so that every worker forked
from it starts with it loaded instead of each loading a copy on its first document."""

from crawler.extract.normalize import load_language_model

load_language_model()
