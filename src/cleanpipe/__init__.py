"""cleanpipe: scraped web pages in, clean Markdown out, with an audit of every removal."""

from cleanpipe.config import Config, ConfigError
from cleanpipe.document import Block, CleanError, Document, Inline, Removal
from cleanpipe.pipeline import DEFAULT_STAGES, CleanResult, Pipeline, Stage, clean
from cleanpipe.rules.boilerplate import BoilerplateRule

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_STAGES",
    "BoilerplateRule",
    "Block",
    "CleanError",
    "CleanResult",
    "Config",
    "ConfigError",
    "Document",
    "Inline",
    "Pipeline",
    "Removal",
    "Stage",
    "clean",
]
