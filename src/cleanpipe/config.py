"""Configuration: one frozen dataclass, loadable from a mapping or a TOML file, with errors that name the key."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cleanpipe.rules.boilerplate import BoilerplateRule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration key or value that cannot be used. The message names the key."""


@dataclass(frozen=True)
class LearnedSite:
    """Boilerplate learned from many pages of one site (cleanpipe.corpus.learn): the site's key
    (cleanpipe.corpus.site_keys.site_of), how many pages were counted, and each learned line's key with
    the number of pages it was on. Lines are sorted by key."""

    site: str
    pages: int
    lines: tuple[tuple[str, int], ...]


# Settings of the learning pass. They steer `cleanpipe learn` and `run --learn` over the whole corpus, so
# they belong to the top level of a config, not to a site's table.
LEARN_KEYS = (
    "learn", "learn_min_pages", "learn_min_share", "learn_max_chars",
    "template_min_pages", "template_min_edge_share", "template_min_score",
)
# Settings of where a run happens, not of what it does: top level only, not part of the digest.
RUN_KEYS = ("executor", "ray_address")
EXECUTOR_NAMES = ("local", "ray")
# Keys of to_mapping() that are not plain settings.
_STRUCTURED_KEYS = ("sites", "input", "rules", "learned", "templates", "near_duplicates")
# The [near_duplicates] table: the corpus pass of `cleanpipe run` (corpus/neardup.py), with its defaults.
NEAR_DUPLICATE_DEFAULTS: dict[str, Any] = {
    "mode": "drop",  # drop, flag or off
    "keep": "first",  # first, longest or recent
    "threshold": 0.8,  # Jaccard similarity of shingles
    "num_perm": 128,  # MinHash hashes per page
    "char_ngram": 5,  # shingle size for CJK pages, in characters
    "word_ngram": 3,  # shingle size for other pages, in words
    "shingling": "auto",  # auto (by the page's script), char or word
}
_NEAR_DUPLICATE_CHOICES = {
    "mode": ("drop", "flag", "off"),
    "keep": ("first", "longest", "recent"),
    "shingling": ("auto", "char", "word"),
}


@dataclass(frozen=True)
class Config:
    # Pages over these sizes are refused with a clear error rather than cleaned slowly.
    max_page_bytes: int = 20_000_000
    max_line_chars: int = 1_000_000
    # A batch worker stops cleaning a page after this many seconds of CPU time and fails it (named, with
    # the stage it was in), so no page holds a worker for hours; 0: no limit. Not part of digest(): a
    # page cleaned within the limit is cleaned alike whatever the limit.
    max_page_seconds: float = 30.0
    # dedup: blocks shorter than this (in characters, whitespace and punctuation not counted) are never
    # treated as duplicates: short lines such as "扩展资料:" legitimately repeat.
    dedup_min_chars: int = 12
    # dedup: rapidfuzz ratio (0-100) at or above which two blocks count as the same passage.
    dedup_threshold: float = 90.0
    # dedup: a teaser must be found in this many following characters of the body.
    teaser_window: int = 4000
    # classifier: a block the line model scores at or above this is removed; 1 (the default): the
    # classifier removes nothing (training/lines/REPORT.md has its precision and recall by threshold).
    classifier_threshold: float = 1.0
    # classifier: a line among a page's first 2 or last 3 blocks that names the page's title (an intro or
    # outro of a content farm) is removed when the line model scores it at least this; 1: off.
    title_template_threshold: float = 0.5
    # boilerplate: rules added by the user, and names of built-in rules to switch off.
    extra_rules: tuple[BoilerplateRule, ...] = ()
    disabled_rules: frozenset[str] = field(default_factory=frozenset)
    # Per-site settings, keyed by domain ('example.com' also covers 'news.example.com'): each is the
    # whole configuration for that site's pages, the base settings with the site's table applied.
    sites: tuple[tuple[str, Config], ...] = ()
    # Which JSON fields hold a record's text, html, id, url and title (readers' defaults when empty).
    input: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Learned boilerplate: `cleanpipe run` learns it in a first pass over its inputs when `learn` is true.
    # A line is learned for a site when it is on at least `learn_min_pages` distinct pages of the site and
    # on at least `learn_min_share` of them; blocks over `learn_max_chars` characters are never learned
    # (a paragraph reposted across a site is a near-duplicate, not a template line).
    learn: bool = False
    learn_min_pages: int = 5
    learn_min_share: float = 0.5
    learn_max_chars: int = 200
    # The learned lines in force, per site, sorted by site: set from a profile (corpus/learn.py), never
    # from a config file. They are part of digest(), so a changed profile re-cleans the pages.
    learned: tuple[LearnedSite, ...] = ()
    # Corpus templates, learned in the same pass across all sites: a line (its key: title masked, digits
    # folded) on at least `template_min_pages` distinct pages, at least `template_min_edge_share` of the
    # times at a page's head or tail, whose mean line-model score (stages/classify.py) is at least
    # `template_min_score`. Real repeated content sits inside articles and reads as content, so it stays.
    template_min_pages: int = 5
    template_min_edge_share: float = 0.8
    template_min_score: float = 0.3
    # The templates in force: (key, pages, sites, mean score), sorted by key; from a profile only.
    templates: tuple[tuple[str, int, int, float], ...] = ()
    # The [near_duplicates] table, as set in the file (defaults in NEAR_DUPLICATE_DEFAULTS). Not part of
    # digest(): it decides which pages are kept, not how a page is cleaned.
    near_duplicates: tuple[tuple[str, Any], ...] = ()
    # Where `cleanpipe run` cleans pages: 'local' (processes on this machine) or 'ray' (a Ray cluster, at
    # `ray_address`, else RAY_ADDRESS, else one started on this machine). Not part of digest(): every
    # executor gives the same outputs.
    executor: str = "local"
    ray_address: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, origin: str = "config", base: Config | None = None) -> Config:
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        start = base or cls()
        for key, value in data.items():
            if key == "rules":
                if not isinstance(value, list):
                    raise ConfigError(f"{origin}: 'rules' must be an array of tables ([[rules]])")
                rules = tuple(_rule_from_mapping(item, origin, n) for n, item in enumerate(value))
                values["extra_rules"] = start.extra_rules + rules
                continue
            if key == "sites" and base is None:
                values["sites"] = _sites_from_mapping(value, origin, data)
                continue
            if key == "near_duplicates" and base is None:
                values[key] = _near_duplicates_from_mapping(value, origin)
                continue
            if key == "input" and base is None:
                values["input"] = _input_from_mapping(value, origin)
                continue
            if key not in known or key in ("extra_rules", "sites", "input", "learned", "templates", "near_duplicates"):
                raise ConfigError(f"{origin}: unknown key {key!r}")
            if key in RUN_KEYS:
                if base is not None:
                    raise ConfigError(f"{origin}: {key!r} applies to the whole run; set it at the top level")
                values[key] = _run_setting(key, value, origin)
                continue
            if key in LEARN_KEYS and base is not None:
                raise ConfigError(f"{origin}: {key!r} applies to the whole corpus; set it at the top level")
            default = getattr(cls(), key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{origin}: {key!r} must be true or false, got {value!r}")
                values[key] = value
                continue
            if key == "disabled_rules":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{origin}: {key!r} must be a list of rule names")
                values[key] = start.disabled_rules | frozenset(value)
                continue
            if isinstance(default, bool) or not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ConfigError(f"{origin}: {key!r} must be a number, got {value!r}")
            if value < 0:
                raise ConfigError(f"{origin}: {key!r} must not be negative, got {value!r}")
            values[key] = type(default)(value)
        config = replace(start, **values)
        if not 0 <= config.dedup_threshold <= 100:
            raise ConfigError(f"{origin}: 'dedup_threshold' must be between 0 and 100")
        for key in ("classifier_threshold", "title_template_threshold"):
            if not 0 <= getattr(config, key) <= 1:
                raise ConfigError(f"{origin}: {key!r} must be between 0 and 1 (1: off)")
        check_learn_settings(config, origin)
        return config

    def for_url(self, url: str | None) -> Config:
        """The settings for one page: its site's, when a site table names its domain, else these."""
        if not self.sites or not url:
            return self
        try:
            host = urlsplit(url if "//" in url else "//" + url).hostname or ""
        except ValueError:  # a malformed URL ('http://[bad') names no site
            return self
        best: tuple[int, Config] | None = None
        for domain, site_config in self.sites:
            if host == domain or host.endswith("." + domain):
                if best is None or len(domain) > best[0]:
                    best = (len(domain), site_config)
        return best[1] if best else self

    def digest(self) -> str:
        """A hash of everything that changes a page's output: two configs with equal digests clean alike."""
        data = self.to_mapping()
        for mapping in (data, *data["sites"].values()):
            for key in ("near_duplicates", "max_page_seconds", *RUN_KEYS):
                mapping.pop(key, None)
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def near_duplicate_settings(self) -> dict[str, Any]:
        """The [near_duplicates] table with every key: the file's values over the defaults."""
        return {**NEAR_DUPLICATE_DEFAULTS, **dict(self.near_duplicates)}

    def to_toml(self) -> str:
        """The settings as a cleanpipe.toml that from_toml reads back to equal settings."""
        data = self.to_mapping()
        base = {k: v for k, v in data.items() if k not in _STRUCTURED_KEYS}
        lines = [f"{key} = {_toml_value(value)}" for key, value in base.items()]
        if self.learned:  # from a profile file, not a config file: thousands of lines, so only counted
            count = sum(len(site.lines) for site in self.learned)
            lines.insert(0, f"# plus {count} learned boilerplate lines for {len(self.learned)} sites (from a profile)")
        if self.templates:
            lines.insert(0, f"# plus {len(self.templates)} corpus templates (from a profile)")
        if data["near_duplicates"]:
            lines += ["", "[near_duplicates]", *(f"{k} = {_toml_value(v)}" for k, v in data["near_duplicates"].items())]
        for key, names in data["input"].items():
            lines += ["", "[input]"] if key == next(iter(data["input"])) else []
            lines.append(f"{key} = {_toml_value(names)}")
        for rule in data["rules"]:
            lines += ["", "[[rules]]", *(f"{k} = {_toml_value(v)}" for k, v in rule.items())]
        for domain, site in data["sites"].items():
            changed = {k: v for k, v in site.items() if k not in _STRUCTURED_KEYS and v != base[k]}
            if "disabled_rules" in changed:
                changed["disabled_rules"] = sorted(set(site["disabled_rules"]) - set(base["disabled_rules"]))
            lines += ["", f"[sites.{_toml_value(domain)}]", *(f"{k} = {_toml_value(v)}" for k, v in changed.items())]
            for rule in site["rules"][len(data["rules"]) :]:
                lines += [
                    "",
                    f"[[sites.{_toml_value(domain)}.rules]]",
                    *(f"{k} = {_toml_value(v)}" for k, v in rule.items()),
                ]
        return "\n".join(lines) + "\n"

    def to_mapping(self) -> dict[str, Any]:
        """The settings as plain data, in the shape from_mapping reads (rules under 'rules')."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "extra_rules":
                data["rules"] = [{k: v for k, v in asdict(rule).items() if v not in ((), "")} for rule in value]
            elif item.name == "disabled_rules":
                data[item.name] = sorted(value)
            elif item.name == "sites":
                data[item.name] = {domain: site.to_mapping() for domain, site in value}
            elif item.name == "input":
                data[item.name] = {key: list(names) for key, names in value}
            elif item.name == "near_duplicates":
                data[item.name] = dict(value)
            elif item.name == "learned":
                data[item.name] = {site.site: {"pages": site.pages, "lines": dict(site.lines)} for site in value}
            elif item.name == "templates":
                data[item.name] = [list(template) for template in value]
            else:
                data[item.name] = value
        return data

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read config: {error}") from error
        section = data.get("tool", {}).get("cleanpipe", {}) if Path(path).name == "pyproject.toml" else data
        return cls.from_mapping(section, origin=str(path))


def _run_setting(key: str, value: Any, origin: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{origin}: {key!r} must be a string, got {value!r}")
    if key == "executor" and value not in EXECUTOR_NAMES:
        raise ConfigError(f"{origin}: 'executor' must be one of {', '.join(EXECUTOR_NAMES)}, not {value!r}")
    return value


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def check_learn_settings(config: Config, origin: str = "config") -> None:
    """The learning thresholds must make sense: above all, a line is never learned from one page."""
    if config.learn_min_pages < 2:
        raise ConfigError(
            f"{origin}: 'learn_min_pages' must be at least 2 (a line on one page is never boilerplate), "
            f"got {config.learn_min_pages}"
        )
    if not 0 < config.learn_min_share <= 1:
        raise ConfigError(f"{origin}: 'learn_min_share' must be above 0 and at most 1, got {config.learn_min_share}")
    if config.learn_max_chars < 1:
        raise ConfigError(f"{origin}: 'learn_max_chars' must be at least 1, got {config.learn_max_chars}")
    if config.template_min_pages < 2:
        raise ConfigError(
            f"{origin}: 'template_min_pages' must be at least 2 (a line on one page is never a template), "
            f"got {config.template_min_pages}"
        )
    for key in ("template_min_edge_share", "template_min_score"):
        if not 0 <= getattr(config, key) <= 1:
            raise ConfigError(f"{origin}: {key!r} must be between 0 and 1, got {getattr(config, key)}")


def _near_duplicates_from_mapping(value: Any, origin: str) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: 'near_duplicates' must be a table")
    found = []
    for key, item in sorted(value.items()):
        where = f"{origin}: near_duplicates.{key}"
        if key not in NEAR_DUPLICATE_DEFAULTS:
            raise ConfigError(
                f"{origin}: near_duplicates: unknown key {key!r} (known: {', '.join(NEAR_DUPLICATE_DEFAULTS)})"
            )
        if key in _NEAR_DUPLICATE_CHOICES:
            if item not in _NEAR_DUPLICATE_CHOICES[key]:
                raise ConfigError(f"{where} must be one of {', '.join(_NEAR_DUPLICATE_CHOICES[key])}, got {item!r}")
        elif key == "threshold":
            if isinstance(item, bool) or not isinstance(item, (int, float)) or not 0 < item <= 1:
                raise ConfigError(f"{where} must be a number above 0 and at most 1, got {item!r}")
            item = float(item)
        elif isinstance(item, bool) or not isinstance(item, int) or item < (2 if key == "num_perm" else 1):
            raise ConfigError(
                f"{where} must be a whole number of at least {2 if key == 'num_perm' else 1}, got {item!r}"
            )
        found.append((key, item))
    return tuple(found)


INPUT_KEYS = ("text_fields", "html_fields", "id_fields", "url_fields", "title_fields")


def _sites_from_mapping(value: Any, origin: str, data: dict[str, Any]) -> tuple[tuple[str, Config], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: 'sites' must be a table of domains ([sites.\"example.com\"])")
    # A site's settings start from the base settings of the same file, whatever the key order.
    shared = Config.from_mapping({k: v for k, v in data.items() if k not in ("sites", "input")}, origin=origin)
    sites = []
    for domain, table in sorted(value.items()):
        where = f"{origin}: sites.{domain}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table")
        if "sites" in table or "input" in table:
            raise ConfigError(f"{where}: unknown key {'sites' if 'sites' in table else 'input'!r}")
        sites.append((domain.lower().lstrip("."), Config.from_mapping(table, origin=where, base=shared)))
    return tuple(sites)


def _input_from_mapping(value: Any, origin: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: 'input' must be a table")
    found = []
    for key, names in sorted(value.items()):
        if key not in INPUT_KEYS:
            raise ConfigError(f"{origin}: input: unknown key {key!r} (known: {', '.join(INPUT_KEYS)})")
        if not isinstance(names, list) or not names or not all(isinstance(name, str) and name for name in names):
            raise ConfigError(f"{origin}: input.{key} must be a non-empty list of field names")
        found.append((key, tuple(names)))
    return tuple(found)


def find_config(explicit: Path | None, folder: Path | None = None) -> tuple[Config, str]:
    """The configuration in force and where it came from: --config, else ./cleanpipe.toml, else the
    [tool.cleanpipe] table of ./pyproject.toml, else the defaults."""
    if explicit is not None:
        return Config.from_toml(explicit), str(explicit)
    here = folder or Path.cwd()
    if (here / "cleanpipe.toml").is_file():
        return Config.from_toml(here / "cleanpipe.toml"), str(here / "cleanpipe.toml")
    pyproject = here / "pyproject.toml"
    if pyproject.is_file():
        try:
            has_table = "cleanpipe" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{pyproject}: cannot read config: {error}") from error
        if has_table:
            return Config.from_toml(pyproject), f"{pyproject} [tool.cleanpipe]"
    return Config(), "defaults"


def _rule_from_mapping(item: Any, origin: str, number: int) -> BoilerplateRule:
    where = f"{origin}: rules[{number}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where} must be a table with name, pattern and description")
    if isinstance(item.get("name"), str) and item["name"]:
        where += f" ({item['name']})"
    allowed = {f.name for f in fields(BoilerplateRule)}
    for key in item:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}")
    for key in ("name", "pattern", "description"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ConfigError(f"{where}: {key!r} is required and must be a string")
    _check_rule_field_types(item, where)
    try:
        rule = BoilerplateRule(**{**item, "keeps": tuple(item.get("keeps", ()))})
        rule.compiled()
    except Exception as error:  # a bad regex
        raise ConfigError(f"{where}: {error}") from error
    _check_rule_examples(rule, where)
    return rule


def _check_rule_field_types(item: dict[str, Any], where: str) -> None:
    """Wrong types would otherwise surface as a crash on the first page cleaned, far from the config."""
    max_chars = item.get("max_chars", 1)
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars <= 0:
        raise ConfigError(f"{where}: 'max_chars' must be a positive integer, got {max_chars!r}")
    if not isinstance(item.get("footer", False), bool):
        raise ConfigError(f"{where}: 'footer' must be true or false")
    if not isinstance(item.get("example", ""), str):
        raise ConfigError(f"{where}: 'example' must be a string")
    keeps = item.get("keeps", [])
    if not isinstance(keeps, (list, tuple)) or not all(isinstance(keep, str) for keep in keeps):
        raise ConfigError(f"{where}: 'keeps' must be a list of strings")


def _check_rule_examples(rule: BoilerplateRule, where: str) -> None:
    """A rule's own example must fire and its keeps must not, as the built-in rules are tested to."""
    pattern = rule.compiled()
    if rule.example and not pattern.search(rule.example):
        raise ConfigError(f"{where}: the pattern does not match its own example {rule.example!r}")
    for keep in rule.keeps:
        if pattern.search(keep):
            raise ConfigError(f"{where}: the pattern matches {keep!r}, which it lists as a keep")
