"""Passes over many pages at once: near-duplicate documents, boilerplate learned per site."""
