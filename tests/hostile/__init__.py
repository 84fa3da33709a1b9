"""Hostile returned files, built at test time (see corpus.py)."""
