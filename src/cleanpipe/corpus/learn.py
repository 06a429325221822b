"""Boilerplate learned from a site: the corpus pass that finds each site's template lines, and the profile
file that holds them.

The pass runs the pipeline's stages before `boilerplate` on every page (so it sees the blocks that stage
will see), groups pages by site and counts, for each line key (corpus/site_keys.py), the distinct pages of
the site it is on. A line is learned for a site when it is on at least `learn_min_pages` pages and at least
`learn_min_share` of the site's pages. Genuine content repeated by chance (a quotation, a common heading)
is on a few pages, not on most pages of a site, so it survives:

- a line counts once per page, however often the page repeats it, and a page counts once per site, however
  often the corpus holds it (pages are told apart by a hash of their bytes), so one page can never make a
  line boilerplate; `learn_min_pages` is at least 2;
- sites with fewer pages than `learn_min_pages` learn nothing;
- blocks over `learn_max_chars` characters are not counted: a paragraph reposted across a site is a
  near-duplicate for the near-duplicate pass, not a template line.

The counts live in a temporary SQLite file, not in memory: a corpus holds more distinct short lines than
fit in memory, and the batch job promises memory that does not grow with the corpus.

The profile is JSON (`PROFILE_FORMAT`, `PROFILE_VERSION`), sorted, so the same corpus and settings give
the same bytes: per site, the pages counted and each learned line with its key, the number of pages it was
on and the text of its first occurrence. `apply_profile` puts it into a Config, whose digest then changes
with the profile, so the batch job re-cleans the pages.
"""

from __future__ import annotations

import json
import math
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cleanpipe.config import Config, LearnedSite, check_learn_settings
from cleanpipe.corpus.site_keys import block_text, is_learnable, line_key, page_title, site_of
from cleanpipe.document import CleanError, Document
from cleanpipe.executors.base import Executor
from cleanpipe.executors.local import LocalExecutor
from cleanpipe.executors.reading import Inputs, shards
from cleanpipe.executors.steps import CHANGED, PageRef, shard_records
from cleanpipe.io.files import write_atomic
from cleanpipe.io.readers import InputFile, ReadOptions
from cleanpipe.io.records import PageRecord, ReadFailure
from cleanpipe.pipeline import Pipeline
from cleanpipe.stages.classify import block_line, load_model, page_parts

PROFILE_FORMAT = "cleanpipe-learned-boilerplate"
# Raise when the meaning of a key changes (site_keys.py), so an old profile is refused, not misapplied.
PROFILE_VERSION = 2
# Versions this cleanpipe reads: version 1 had no templates.
READ_VERSIONS = (1, 2)
BOILERPLATE_STAGE = "boilerplate"
# Pages per task sent to a worker (the executor bounds the tasks in flight, so memory stays bounded).
SHARD_SIZE = 32


class ProfileError(ValueError):
    """A profile file that cannot be used. The message names the file and the problem."""


@dataclass(frozen=True)
class LearnedLine:
    key: str
    pages: int
    example: str  # the line's text where it was first seen


@dataclass(frozen=True)
class Template:
    """A line on many pages of the corpus, whatever their site: its key, the pages and sites it was on,
    its mean line-model score there, and the text of its first occurrence."""

    key: str
    pages: int
    sites: int
    score: float
    example: str


@dataclass(frozen=True)
class SiteProfile:
    site: str
    pages: int
    lines: tuple[LearnedLine, ...] = ()


@dataclass(frozen=True)
class Profile:
    """What a learning pass found: every site with enough pages to learn from, and their learned lines."""

    sites: tuple[SiteProfile, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    pages: int = 0  # pages counted, over all sites
    sites_counted: int = 0  # sites seen, including those with too few pages to learn from
    templates: tuple[Template, ...] = ()

    @property
    def lines(self) -> int:
        return sum(len(site.lines) for site in self.sites)

    def to_json(self) -> str:
        data = {
            "format": PROFILE_FORMAT,
            "version": PROFILE_VERSION,
            "settings": self.settings,
            "pages": self.pages,
            "sites_counted": self.sites_counted,
            "sites": {
                site.site: {
                    "pages": site.pages,
                    "lines": [{"key": ln.key, "pages": ln.pages, "example": ln.example} for ln in site.lines],
                }
                for site in self.sites
            },
            "templates": [
                {"key": t.key, "pages": t.pages, "sites": t.sites, "score": t.score, "example": t.example}
                for t in self.templates
            ],
        }
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def write(self, path: Path) -> None:
        write_atomic(path, self.to_json())


@dataclass
class LearnReport:
    """The profile and the pages that could not be read or run through the stages (they are skipped)."""

    profile: Profile
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, problem)


def learn_profile(
    pages: Iterable[PageRecord | ReadFailure] | Inputs,
    config: Config,
    *,
    pipeline: Pipeline | None = None,
    workers: int = 1,
    executor: Executor[Any] | None = None,
    work_folder: Path | None = None,
) -> LearnReport:
    """Learn each site's boilerplate from the pages, with the thresholds of `config`. The stages before
    `boilerplate` of `pipeline` (default: the default pipeline) prepare each page, as when cleaning, on
    `executor` (default: `workers` local processes); given Inputs, the executor's workers read them too.
    The counts go to a temporary file in `work_folder` (default: the system's temporary folder)."""
    check_learn_settings(config)
    prefix = stages_before_boilerplate(pipeline or Pipeline())
    failures: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="cleanpipe-learn-", dir=work_folder) as folder:
        tally = _Tally(Path(folder) / "counts.sqlite")
        try:
            # An executor of our own is closed after the pass; the caller's stays open.
            with LocalExecutor(workers) if executor is None else nullcontext(executor) as running:
                for outcome in _page_keys(pages, config, prefix, running, failures):
                    tally.add(*outcome)
            profile = _profile(tally, config)
        finally:
            tally.close()
    return LearnReport(profile, failures)


def stages_before_boilerplate(pipeline: Pipeline) -> Pipeline:
    names = pipeline.names()
    if BOILERPLATE_STAGE not in names:
        raise ValueError(f"the pipeline has no {BOILERPLATE_STAGE!r} stage to learn for; stages are {', '.join(names)}")
    return Pipeline(pipeline.stages[: names.index(BOILERPLATE_STAGE)])


# -- one page ---------------------------------------------------------------------------------------


# (site, page hash, {line key: (example text, at the page's head or tail, line-model score)}) for one page.
PageKeys = tuple[str, str, dict[str, tuple[str, bool, float]]]
# A block among a page's first HEAD or last TAIL kept blocks is at its edge, where templates sit.
HEAD = 3
TAIL = 5


@dataclass(frozen=True)
class _Failed:
    source: str
    problem: str


def page_keys(record: PageRecord, config: Config, prefix: Pipeline) -> PageKeys | None:
    """The site of one page and its learnable line keys, from the blocks the boilerplate stage would see;
    None when the page has no site. Raises CleanError for a page that cannot be cleaned."""
    doc = prepare(record, config, prefix)
    site = site_of(doc.metadata.get("url"), doc.source)
    if site is None:
        return None
    return site, doc.id, _keys(doc, config.learn_max_chars)


def prepare(record: PageRecord, config: Config, prefix: Pipeline) -> Document:
    """The page after the stages before boilerplate, built as the batch executor builds it for cleaning
    (same source, metadata and per-site config), so its site and keys are the ones cleaning will see."""
    metadata: dict[str, Any] = {key: value for key, value in (("url", record.url), ("title", record.title)) if value}
    metadata.update(record.metadata)
    result = prefix.clean(
        record.data, source=record.source, config=config.for_url(record.url), metadata=metadata, html=record.html
    )
    assert result.document is not None
    return result.document


def _keys(doc: Document, max_chars: int) -> dict[str, tuple[str, bool, float]]:
    """Each learnable key of the page once, with the text it came from (the first, if the page repeats it),
    whether it is at the page's edge and its line-model score there."""
    title = page_title(doc.metadata)
    model = load_model()
    blocks = doc.blocks
    kept = [index for index, block in enumerate(blocks) if block.kept and block.kind != "title"]
    texts, kinds = [block_line(b) for b in blocks], [b.kind for b in blocks]
    parts = page_parts(texts, kinds, title, model.max_chars, only=set(kept))
    keys: dict[str, tuple[str, bool, float]] = {}
    for place, index in enumerate(kept):
        text = block_text(blocks[index])
        if len(text.strip()) > max_chars:
            continue
        key = line_key(text, title)
        if is_learnable(key) and key not in keys:
            third = math.ceil(len(kept) / 3)  # on a short page, its middle third is still its middle
            edge = place < min(HEAD, third) or place >= len(kept) - min(TAIL, third)
            found = parts[index]
            score = model.calibrated(model.parts_margin(found)) if found is not None else 0.0
            keys[key] = (" ".join(text.split()), edge, score)
    return keys


def _page_keys_or_failure(record: PageRecord, config: Config, prefix: Pipeline) -> PageKeys | _Failed | None:
    try:
        return page_keys(record, config, prefix)
    except CleanError as error:
        return _Failed(record.source, error.problem)


def _shard_keys(task: tuple[list[PageRecord], Config, Pipeline]) -> list[PageKeys | _Failed | None]:
    records, config, prefix = task
    return [_page_keys_or_failure(record, config, prefix) for record in records]


def _read_shard_keys(
    task: tuple[list[tuple[str, InputFile, PageRef]], ReadOptions, Config, Pipeline],
) -> list[PageKeys | _Failed | None]:
    """The keys of a shard of pages this worker reads itself."""
    pages, options, config, prefix = task
    return [
        _Failed(ref.source, CHANGED) if record is None else _page_keys_or_failure(record, config, prefix)
        for _, ref, record in shard_records(pages, options)
    ]


# -- many pages, in order ------------------------------------------------------------------------------


def _page_keys(
    pages: Iterable[PageRecord | ReadFailure] | Inputs,
    config: Config,
    prefix: Pipeline,
    executor: Executor[Any],
    failures: list[tuple[str, str]],
) -> Iterator[PageKeys]:
    """Every page's keys in input order (so the first example of a line is the same on every run and on
    every executor), shard by shard on the executor."""
    if isinstance(pages, Inputs):
        results = executor.map_ordered(_read_shard_keys, _read_tasks(pages, config, prefix, executor, failures))
    else:
        results = executor.map_ordered(_shard_keys, ((shard, config, prefix) for shard in _shards(pages, failures)))
    yield from _keys_of(results, failures)


def _read_tasks(
    inputs: Inputs, config: Config, prefix: Pipeline, executor: Executor[Any], failures: list[tuple[str, str]]
) -> Iterator[tuple[list[tuple[str, InputFile, PageRef]], ReadOptions, Config, Pipeline]]:
    unread: list[ReadFailure] = []
    for shard in shards(inputs.paths, inputs.read, executor, SHARD_SIZE, unread):
        failures.extend((failure.source, failure.problem) for failure in unread)
        unread.clear()
        yield shard, inputs.read, config, prefix
    failures.extend((failure.source, failure.problem) for failure in unread)


def _keys_of(results: Iterable[list[PageKeys | _Failed | None]], failures: list[tuple[str, str]]) -> Iterator[PageKeys]:
    for shard in results:
        for result in shard:
            if isinstance(result, _Failed):
                failures.append((result.source, result.problem))
            elif result is not None:
                yield result


def _shards(pages: Iterable[PageRecord | ReadFailure], failures: list[tuple[str, str]]) -> Iterator[list[PageRecord]]:
    shard: list[PageRecord] = []
    for page in pages:
        if isinstance(page, ReadFailure):
            failures.append((page.source, page.problem))
            continue
        shard.append(page)
        if len(shard) >= SHARD_SIZE:
            yield shard
            shard = []
    if shard:
        yield shard


# -- counting --------------------------------------------------------------------------------------------


class _Tally:
    """Distinct pages per site, and per site and line key, in a SQLite file."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE pages (site TEXT, page TEXT, PRIMARY KEY (site, page)) WITHOUT ROWID;
            CREATE TABLE lines (
                site TEXT, key TEXT, pages INTEGER, example TEXT, PRIMARY KEY (site, key)
            ) WITHOUT ROWID;
            CREATE TABLE frames (
                key TEXT PRIMARY KEY, pages INTEGER, edge INTEGER, score REAL, example TEXT
            ) WITHOUT ROWID;
            CREATE TABLE frame_sites (key TEXT, site TEXT, PRIMARY KEY (key, site)) WITHOUT ROWID;
            """
        )

    def add(self, site: str, page: str, keys: dict[str, tuple[str, bool, float]]) -> None:
        """Count one page of a site, unless the same page (same bytes) was counted for it before."""
        if not self.db.execute("INSERT OR IGNORE INTO pages VALUES (?, ?)", (site, page)).rowcount:
            return
        self.db.executemany(
            "INSERT INTO lines VALUES (?, ?, 1, ?) ON CONFLICT (site, key) DO UPDATE SET pages = pages + 1",
            ((site, key, example) for key, (example, _, _) in keys.items()),
        )
        self.db.executemany(
            "INSERT INTO frames VALUES (?, 1, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET pages = pages + 1, "
            "edge = edge + excluded.edge, score = score + excluded.score",
            ((key, int(edge), score, example) for key, (example, edge, score) in keys.items()),
        )
        self.db.executemany("INSERT OR IGNORE INTO frame_sites VALUES (?, ?)", ((key, site) for key in keys))

    def templates(self, config: Config) -> list[Template]:
        """The lines on at least template_min_pages pages, mostly at a page's edge, that read as boilerplate."""
        rows = self.db.execute(
            "SELECT key, pages, edge, score, example, (SELECT COUNT(*) FROM frame_sites WHERE frame_sites.key = "
            "frames.key) FROM frames WHERE pages >= ? ORDER BY key",
            (config.template_min_pages,),
        )
        return [
            Template(key, pages, sites, round(score / pages, 3), example)
            for key, pages, edge, score, example, sites in rows
            if edge >= config.template_min_edge_share * pages and score / pages >= config.template_min_score
        ]

    def sites(self) -> Iterator[tuple[str, int]]:
        yield from self.db.execute("SELECT site, COUNT(*) FROM pages GROUP BY site ORDER BY site")

    def lines(self, site: str, at_least: int) -> list[LearnedLine]:
        rows = self.db.execute(
            "SELECT key, pages, example FROM lines WHERE site = ? AND pages >= ? ORDER BY key", (site, at_least)
        )
        return [LearnedLine(key, pages, example) for key, pages, example in rows]

    def close(self) -> None:
        self.db.close()


def _profile(tally: _Tally, config: Config) -> Profile:
    sites = []
    pages = counted = 0
    for site, site_pages in tally.sites():
        counted += 1
        pages += site_pages
        if site_pages >= config.learn_min_pages:
            sites.append(SiteProfile(site, site_pages, tuple(tally.lines(site, min_pages_for(site_pages, config)))))
    settings = {
        key: getattr(config, key)
        for key in (
            "learn_min_pages",
            "learn_min_share",
            "learn_max_chars",
            "template_min_pages",
            "template_min_edge_share",
            "template_min_score",
        )
    }
    return Profile(tuple(sites), settings, pages, counted, tuple(tally.templates(config)))


def min_pages_for(site_pages: int, config: Config) -> int:
    """How many of a site's pages a line must be on to be learned: both thresholds, in whole pages."""
    # The small epsilon keeps 0.5 * 10 at 5, not 6, whatever the float rounding.
    return max(config.learn_min_pages, math.ceil(config.learn_min_share * site_pages - 1e-9))


# -- profile files ------------------------------------------------------------------------------------


def read_profile(path: Path) -> Profile:
    """A profile written by `cleanpipe learn`; ProfileError names the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProfileError(f"{path}: cannot read profile: {error.strerror or error}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ProfileError(f"{path}: not a profile: invalid JSON ({error})") from error
    return profile_from_data(data, str(path))


def profile_from_data(data: Any, origin: str) -> Profile:
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise ProfileError(f'{origin}: not a profile: expected a JSON object with "format": "{PROFILE_FORMAT}"')
    if data.get("version") not in READ_VERSIONS:
        raise ProfileError(
            f"{origin}: profile version {data.get('version')!r}, this cleanpipe reads version {PROFILE_VERSION}: "
            "learn it again with `cleanpipe learn`"
        )
    sites = data.get("sites")
    if not isinstance(sites, dict):
        raise ProfileError(f"{origin}: 'sites' must be an object of sites")
    return Profile(
        tuple(_site_from_data(name, value, origin) for name, value in sorted(sites.items())),
        settings if isinstance(settings := data.get("settings"), dict) else {},
        _count(data.get("pages", 0), f"{origin}: 'pages'"),
        _count(data.get("sites_counted", 0), f"{origin}: 'sites_counted'"),
        tuple(_template_from_data(number, value, origin) for number, value in enumerate(data.get("templates") or [])),
    )


def _template_from_data(number: int, value: Any, origin: str) -> Template:
    where = f"{origin}: templates[{number}]"
    if not isinstance(value, dict) or not isinstance(value.get("key"), str) or not value["key"]:
        raise ProfileError(f"{where} must be an object with a non-empty 'key'")
    score = value.get("score", 0.0)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
        raise ProfileError(f"{where}.score must be a number between 0 and 1, got {score!r}")
    return Template(
        value["key"],
        _count(value.get("pages"), f"{where}.pages"),
        _count(value.get("sites", 0), f"{where}.sites"),
        float(score),
        str(value.get("example", "")),
    )


def _site_from_data(name: str, value: Any, origin: str) -> SiteProfile:
    where = f"{origin}: sites.{name}"
    if not isinstance(value, dict) or not isinstance(value.get("lines"), list):
        raise ProfileError(f"{where} must be an object with 'pages' and 'lines'")
    lines = []
    for number, line in enumerate(value["lines"]):
        if not isinstance(line, dict) or not isinstance(line.get("key"), str) or not line["key"]:
            raise ProfileError(f"{where}: lines[{number}] must be an object with a non-empty 'key'")
        pages = _count(line.get("pages"), f"{where}: lines[{number}].pages")
        lines.append(LearnedLine(line["key"], pages, str(line.get("example", ""))))
    return SiteProfile(
        name, _count(value.get("pages"), f"{where}: 'pages'"), tuple(sorted(lines, key=lambda ln: ln.key))
    )


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProfileError(f"{where} must be a whole number, got {value!r}")
    return value


def apply_profile(config: Config, profile: Profile) -> Config:
    """The config with the profile's learned lines in force, for every site table too (a page of a site
    table is cleaned with that table's Config)."""
    learned = tuple(
        LearnedSite(site.site, site.pages, tuple((line.key, line.pages) for line in site.lines))
        for site in sorted(profile.sites, key=lambda site: site.site)
        if site.lines
    )
    templates = tuple(sorted((t.key, t.pages, t.sites, t.score) for t in profile.templates))
    sites = tuple(
        (domain, replace(site_config, learned=learned, templates=templates)) for domain, site_config in config.sites
    )
    return replace(config, learned=learned, templates=templates, sites=sites)
