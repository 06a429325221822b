"""The `cleanpipe` command. Thin: each command parses its arguments, calls the library and prints."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cleanpipe import __version__
from cleanpipe.config import Config, ConfigError
from cleanpipe.document import CleanError
from cleanpipe.executors.local import AUDIT_FILE, run_folder
from cleanpipe.explain import explain as explain_page
from cleanpipe.io.files import InputError
from cleanpipe.pipeline import clean
from cleanpipe.stages.boilerplate import active_rules

app = typer.Typer(
    help="Turn scraped web pages into clean Markdown, and say what was removed and why.\n\n"
    "Example: cleanpipe run data/raw -o data/clean",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_PAGES_FAILED, EXIT_USAGE = 0, 1, 2


def _load_config(path: Path | None) -> Config:
    if path is None:
        default = Path("cleanpipe.toml")
        return Config.from_toml(default) if default.is_file() else Config()
    return Config.from_toml(path)


def _fail_usage(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


@app.command()
def run(
    inputs: list[Path] | None = typer.Argument(
        None, help="Page files or folders (.txt, .md, .html, .htm). Default: data/raw"
    ),
    output: Path = typer.Option(Path("data/clean"), "--output", "-o", help="Folder for the Markdown and the audit."),
    config_file: Path | None = typer.Option(None, "--config", "-c", help="A cleanpipe.toml file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors and the last summary line."),
) -> None:
    """Clean every page under INPUTS into OUTPUT: one <name>.md per page, folders mirrored, and
    removed.jsonl listing every removal with its rule and reason.

    Example: cleanpipe run data/raw -o data/clean

    Exit status: 0 all pages cleaned, 1 some pages failed (each named on stderr), 2 usage or config error.
    """
    try:
        config = _load_config(config_file)
    except ConfigError as error:
        _fail_usage(str(error))
    paths = inputs or [Path("data/raw")]

    def report(page: str, message: str) -> None:
        typer.echo(f"error: {message}", err=True)

    def warn(page: str, message: str) -> None:
        typer.echo(f"warning: {message}", err=True)

    try:
        summary = run_folder(paths, output, config=config, on_error=report, on_warning=warn)
    except InputError as error:
        _fail_usage(str(error))
    if not quiet:
        kept = summary.chars_out
        typer.echo(
            f"pages: {summary.pages}  written: {summary.written}  failed: {summary.failed}"
            f"  warnings: {summary.warnings}"
        )
        typer.echo(f"characters: {summary.chars_in:,} in, {kept:,} out (Markdown, with front matter)")
        for stage in sorted(summary.removals):
            typer.echo(
                f"  {stage:<12} {summary.removals[stage]:>6} removals  {summary.removed_chars[stage]:>10,} chars"
            )
        typer.echo(f"audit: {output / AUDIT_FILE}")
    rate = summary.pages / summary.seconds if summary.seconds else 0.0
    typer.echo(f"done in {summary.seconds:.2f}s ({rate:.0f} pages/s)")
    raise typer.Exit(EXIT_PAGES_FAILED if summary.failed else EXIT_OK)


@app.command()
def explain(
    page: Path = typer.Argument(..., help="One page file."),
    config_file: Path | None = typer.Option(None, "--config", "-c", help="A cleanpipe.toml file."),
    color: bool | None = typer.Option(None, "--color/--no-color", help="Default: colour on a terminal."),
) -> None:
    """Show one page with each removed part marked and the rule that removed it.

    Example: cleanpipe explain data/raw/seed_content_farm.txt | less -R
    """
    try:
        config = _load_config(config_file)
    except ConfigError as error:
        _fail_usage(str(error))
    try:
        raw = page.read_bytes()
    except OSError as error:
        _fail_usage(f"{page}: {error.strerror or error}")
    try:
        result = clean(raw, source=str(page), config=config)
    except CleanError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_PAGES_FAILED) from error
    use_color = sys.stdout.isatty() if color is None else color
    typer.echo(explain_page(result, color=use_color), nl=False, color=use_color)


@app.command()
def rules(
    config_file: Path | None = typer.Option(None, "--config", "-c", help="A cleanpipe.toml file."),
) -> None:
    """List the boilerplate rules in force (built-in and from config), with what each removes.

    Example: cleanpipe rules
    """
    try:
        config = _load_config(config_file)
    except ConfigError as error:
        _fail_usage(str(error))
    for rule in active_rules(config):
        footer = " [footer]" if rule.footer else ""
        typer.echo(f"{rule.name:<24}{rule.description}{footer}")


@app.command()
def version() -> None:
    """Print cleanpipe's version.

    Example: cleanpipe version
    """
    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
