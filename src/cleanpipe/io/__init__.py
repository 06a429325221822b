"""Readers and writers: finding pages on disk, naming outputs, writing atomically."""
