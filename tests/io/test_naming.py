"""Output names: safe whatever the id, stable across processes, distinct for distinct ids."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import PurePosixPath

import pytest

from cleanpipe.io.naming import (
    container_folder,
    full_record_id,
    is_safe,
    page_output,
    record_output,
    slug,
)

CONTAINER = PurePosixPath("crawl/2023/dump.jsonl.gz")

HOSTILE_IDS = [
    "../../etc/passwd",
    "/abs",
    "/",
    "a/../../b",
    "..",
    ".",
    "...",
    "",
    " ",
    "a\x00b",
    "x" * 5000,
    "𠀀" * 300,  # CJK Extension B: four UTF-8 bytes each
    "..\\..\\windows\\system32",
    "C:\\Users\\a",
    "CON",
    "\ud800lone surrogate",
    "a\nb\tc",
    ".hidden",
]


@pytest.mark.parametrize("record_id", HOSTILE_IDS)
def test_hostile_ids_stay_inside_the_container_folder(record_id: str) -> None:
    output = record_output(CONTAINER, record_id, None, 7)
    assert is_safe(output)
    assert output.parent == PurePosixPath("crawl/2023/dump")
    name = output.name
    assert not name.startswith(".")
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert len(name.encode("utf-8", "surrogatepass")) <= 255
    assert len(name) <= 80 + 9


@pytest.mark.parametrize("url", ["http://a.com/../../etc/passwd", "file:///etc/passwd", "https://例子.中国/新闻?id=1"])
def test_hostile_urls_stay_inside_the_container_folder(url: str) -> None:
    output = record_output(CONTAINER, None, url, 3)
    assert is_safe(output)
    assert output.parent == PurePosixPath("crawl/2023/dump")


def test_ids_that_slug_alike_get_different_names() -> None:
    ids = ["a/b", "a_b", "a?b", "a b", "a\\b", "a//b"]
    assert len({slug(record_id) for record_id in ids}) == 1
    names = {record_output(CONTAINER, record_id, None, 1) for record_id in ids}
    assert len(names) == len(ids)


def test_long_ids_sharing_a_prefix_get_different_names() -> None:
    first, second = "新闻" * 100 + "1", "新闻" * 100 + "2"
    assert record_output(CONTAINER, first, None, 1) != record_output(CONTAINER, second, None, 2)


def test_slug_keeps_cjk_letters_digits_and_url_punctuation() -> None:
    assert slug("wudao-0-3-65975") == "wudao-0-3-65975"
    assert slug("m.aisixiang.com/data/127006.html") == "m.aisixiang.com_data_127006.html"
    assert slug("板蓝根颗粒的功效与作用？") == "板蓝根颗粒的功效与作用_"
    assert slug("../..") == "_"
    assert slug("") == "_"


def test_name_from_url_drops_the_scheme_and_hash_follows_the_id() -> None:
    url = "https://m.aisixiang.com/data/127006.html"
    output = record_output(PurePosixPath("dirty.jsonl"), None, url, 3)
    assert output.parent == PurePosixPath("dirty")
    assert output.name.startswith("m.aisixiang.com_data_127006.html-")
    # The same URL at another position is another record: another name.
    assert record_output(PurePosixPath("dirty.jsonl"), None, url, 4) != output


def test_an_id_wins_over_the_url_unless_asked() -> None:
    by_id = record_output(CONTAINER, "wudao-0-3-65975", "http://e.com/x", 1)
    by_url = record_output(CONTAINER, "urn:uuid:1", "http://e.com/x", 1, prefer_url=True)
    assert by_id.name.startswith("wudao-0-3-65975-")
    assert by_url.name.startswith("e.com_x-")


def test_names_are_a_pure_function_of_the_inputs_across_processes() -> None:
    script = (
        "from pathlib import PurePosixPath as P\n"
        "from cleanpipe.io.naming import record_output\n"
        "print(record_output(P('a/dump.jsonl'), '../新闻/1', None, 2))\n"
    )
    outputs = set()
    for seed in ("1", "2", "random"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout.strip())
    assert outputs == {str(record_output(PurePosixPath("a/dump.jsonl"), "../新闻/1", None, 2))}


def test_full_record_id_uses_the_key_or_the_position() -> None:
    assert full_record_id(PurePosixPath("a/dump.jsonl"), "x", 4) == "a/dump.jsonl#x"
    assert full_record_id(PurePosixPath("a/dump.jsonl"), None, 4) == "a/dump.jsonl#4"


@pytest.mark.parametrize(
    ("container", "folder"),
    [
        ("dump.jsonl", "dump"),
        ("crawl/dump.jsonl.gz", "crawl/dump"),
        ("crawl/CC-MAIN-2022.warc.zst", "crawl/CC-MAIN-2022"),
        ("dureader_demo_search.train.shared.json", "dureader_demo_search.train.shared"),
        ("a.b.JSONL.GZ", "a.b"),
    ],
)
def test_container_folder_drops_only_container_suffixes(container: str, folder: str) -> None:
    assert container_folder(PurePosixPath(container)) == PurePosixPath(folder)


def test_page_output_mirrors_the_relative_path() -> None:
    assert page_output(PurePosixPath("site/news/a.txt")) == PurePosixPath("site/news/a")
    assert page_output(PurePosixPath("site/a.b.html")) == PurePosixPath("site/a.b")
    assert page_output(PurePosixPath("site/a.html"), keep_suffix=True) == PurePosixPath("site/a.html")
    assert is_safe(page_output(PurePosixPath("../a.txt")))
    assert is_safe(page_output(PurePosixPath("/abs/a.txt")))


@pytest.mark.parametrize("path", ["", "/a", "a/../b", "..", "a\\b", "a\x00b"])
def test_is_safe_rejects_escaping_paths(path: str) -> None:
    assert not is_safe(PurePosixPath(path))
