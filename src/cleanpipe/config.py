"""Configuration: one frozen dataclass, loadable from a mapping or a TOML file, with errors that name the key."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from cleanpipe.rules.boilerplate import BoilerplateRule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A configuration key or value that cannot be used. The message names the key."""


@dataclass(frozen=True)
class Config:
    # Pages over these sizes are refused with a clear error rather than cleaned slowly.
    max_page_bytes: int = 20_000_000
    max_line_chars: int = 1_000_000
    # dedup: blocks shorter than this (in characters, whitespace and punctuation not counted) are never
    # treated as duplicates: short lines such as "扩展资料:" legitimately repeat.
    dedup_min_chars: int = 12
    # dedup: rapidfuzz ratio (0-100) at or above which two blocks count as the same passage.
    dedup_threshold: float = 90.0
    # dedup: a teaser must be found in this many following characters of the body.
    teaser_window: int = 4000
    # boilerplate: rules added by the user, and names of built-in rules to switch off.
    extra_rules: tuple[BoilerplateRule, ...] = ()
    disabled_rules: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, origin: str = "config") -> Config:
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key == "rules":
                values["extra_rules"] = tuple(_rule_from_mapping(item, origin, n) for n, item in enumerate(value))
                continue
            if key not in known or key == "extra_rules":
                raise ConfigError(f"{origin}: unknown key {key!r}")
            default = getattr(cls(), key)
            if key == "disabled_rules":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{origin}: {key!r} must be a list of rule names")
                values[key] = frozenset(value)
                continue
            if isinstance(default, bool) or not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ConfigError(f"{origin}: {key!r} must be a number, got {value!r}")
            if value < 0:
                raise ConfigError(f"{origin}: {key!r} must not be negative, got {value!r}")
            values[key] = type(default)(value)
        config = replace(cls(), **values)
        if not 0 <= config.dedup_threshold <= 100:
            raise ConfigError(f"{origin}: 'dedup_threshold' must be between 0 and 100")
        return config

    @classmethod
    def from_toml(cls, path: str | Path) -> Config:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot read config: {error}") from error
        section = data.get("tool", {}).get("cleanpipe", data) if Path(path).name == "pyproject.toml" else data
        return cls.from_mapping(section, origin=str(path))


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
