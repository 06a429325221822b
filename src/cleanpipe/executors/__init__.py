"""Executors run the pipeline over many pages; the pipeline does not know which one runs it."""
