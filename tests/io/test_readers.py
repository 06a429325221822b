"""Readers on real records (tests/fixtures/readers_records.json, copied from the shared corpus): page files,
JSON Lines plain/gzip/zstd, JSON arrays and objects, DuReader's nested documents, WARC, and damaged input."""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleanpipe.io.files import InputError
from cleanpipe.io.naming import is_safe
from cleanpipe.io.readers import ReadOptions, iter_pages
from cleanpipe.io.records import PageRecord, ReadFailure

FIXTURES = Path(__file__).parent.parent / "fixtures"
# The development corpus sits beside the repository (../shared), on developer machines and in CI.
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
RECORDS: dict[str, dict[str, Any]] = json.loads((FIXTURES / "readers_records.json").read_text(encoding="utf-8"))
# The JSONL sources, in the order the tests write them.
JSONL_SOURCES = ("ccnet", "chinesewebtext_dirty", "wudao", "zhihu", "skywork_finance")

Result = PageRecord | ReadFailure


def read(*inputs: str | Path, options: ReadOptions = ReadOptions()) -> list[Result]:
    return list(iter_pages(list(inputs), options))


def pages(results: list[Result]) -> list[PageRecord]:
    return [result for result in results if isinstance(result, PageRecord)]


def failures(results: list[Result]) -> list[ReadFailure]:
    return [result for result in results if isinstance(result, ReadFailure)]


def jsonl_bytes(sources: tuple[str, ...] = JSONL_SOURCES) -> bytes:
    return b"".join(json.dumps(RECORDS[name], ensure_ascii=False).encode("utf-8") + b"\n" for name in sources)


def many_records(count: int) -> bytes:
    """`count` distinct real-text records (ids r0, r1, …) that compress poorly enough to span many blocks."""
    texts = [
        RECORDS[name].get("text") or RECORDS[name].get("content") or RECORDS[name]["raw_content"]
        for name in RECORDS
        if name != "dureader"
    ]
    lines = [
        json.dumps({"id": f"r{n}", "text": f"{n} {texts[n % len(texts)][n % 50 :]} {n * 7919}"}, ensure_ascii=False)
        for n in range(count)
    ]
    return "".join(line + "\n" for line in lines).encode("utf-8")


def assert_unique_and_safe(records: list[PageRecord]) -> None:
    assert len({record.id for record in records}) == len(records)
    assert len({record.output for record in records}) == len(records)
    assert all(is_safe(record.output) for record in records)


# -- the shared corpus --------------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not on this machine")
def test_every_corpus_file_reads_without_configuration() -> None:
    summary = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    expected = {name: int(docs) for name, docs in re.findall(r"^\| `([^`]+)` \| \d+ \| (\d+) \|", summary, re.M)}
    assert sum(expected.values()) == 470
    results = read(CORPUS)
    assert failures(results) == []
    counts: dict[str, int] = {}
    for page in pages(results):
        container = page.id.split("#")[0]
        counts[container] = counts.get(container, 0) + 1
    assert counts.pop("SOURCES.md") == 1  # the one page file there
    assert counts == expected
    assert_unique_and_safe(pages(results))
    assert all(isinstance(page.data, str) and page.data.strip() for page in pages(results) if page.id != "SOURCES.md")


# -- page files and finding inputs ----------------------------------------------------------------------


def test_folder_pages_in_sorted_order_with_relative_ids(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    text = RECORDS["skywork_finance"]["text"].encode("utf-8")
    (root / "news" / "b.txt").write_bytes(text)
    (root / "news" / "a.html").write_bytes(b"<p>" + text + b"</p>")
    (root / "a.md").write_bytes(text)
    (root / "logo.png").write_bytes(b"\x89PNG")  # unknown suffix inside a folder: skipped
    (root / "notes.docx").write_bytes(b"PK")
    results = read(root)
    assert failures(results) == []
    assert [page.id for page in pages(results)] == ["a.md", "news/a.html", "news/b.txt"]
    first, html, plain = pages(results)
    assert first.output == PurePosixPath("a") and plain.output == PurePosixPath("news/b")
    assert html.html and not plain.html
    assert plain.data == text and isinstance(plain.data, bytes)


def test_pages_sharing_a_stem_keep_their_suffix(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("正文一", encoding="utf-8")
    (tmp_path / "a.html").write_text("<p>正文二</p>", encoding="utf-8")
    (tmp_path / "b.txt").write_text("正文三", encoding="utf-8")
    outputs = {page.id: page.output for page in pages(read(tmp_path))}
    assert outputs == {"a.html": PurePosixPath("a.html"), "a.txt": PurePosixPath("a.txt"), "b.txt": PurePosixPath("b")}


def test_compressed_page_files_read_like_plain_ones(tmp_path: Path) -> None:
    # Benchmarks and crawls ship pages as 'id.html.gz': the page is 'id.html', its output 'id'.
    html = (FIXTURES / "html_sina_related_links.html").read_bytes()
    text = RECORDS["skywork_finance"]["text"].encode("utf-8")
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(html))
    (tmp_path / "b.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(text))
    (tmp_path / "c.txt").write_bytes(text)
    (tmp_path / "c.html.gz").write_bytes(gzip.compress(html))  # shares the stem 'c' with c.txt
    (tmp_path / "d.htm.gz").write_bytes(gzip.compress(html)[:-12])  # truncated
    results = read(tmp_path)
    found = {page.id: page for page in pages(results)}
    assert found["a.html.gz"].data == html and found["a.html.gz"].html
    assert found["a.html.gz"].output == PurePosixPath("a")
    assert found["b.txt.zst"].data == text and not found["b.txt.zst"].html
    assert found["b.txt.zst"].output == PurePosixPath("b")
    assert {found["c.txt"].output, found["c.html.gz"].output} == {PurePosixPath("c.txt"), PurePosixPath("c.html")}
    [failure] = failures(results)
    assert failure.id == "d.htm.gz" and "truncated" in failure.problem


def test_output_folder_inside_the_input_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text("正文", encoding="utf-8")
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "page.md").write_text("# 正文", encoding="utf-8")
    ids = [page.id for page in pages(read(tmp_path, options=ReadOptions(exclude=tmp_path / "clean")))]
    assert ids == ["page.txt"]
    assert [page.id for page in pages(read(tmp_path))] == ["clean/page.md", "page.txt"]


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "nothing-here")
    with pytest.raises(InputError, match="matches"):
        read(str(tmp_path / "crawl" / "*.jsonl.gz"))


def test_a_named_file_with_an_unknown_suffix_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "dump.csv"
    path.write_text("id,text\n1,正文\n", encoding="utf-8")
    [failure] = read(path)
    assert isinstance(failure, ReadFailure)
    assert str(path) in failure.source and "unknown file type" in failure.problem


def test_glob_pattern_reads_matches_relative_to_its_folder(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl"
    (crawl / "2023").mkdir(parents=True)
    (crawl / "a.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(("wudao",))))
    (crawl / "2023" / "b.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes(("zhihu",))))
    (crawl / "c.jsonl").write_bytes(jsonl_bytes(("ccnet",)))  # does not match the pattern
    (crawl / "README.gz").write_bytes(gzip.compress(b"notes"))  # matches, unknown type: skipped
    flat = read(str(crawl / "*.jsonl.gz"))
    assert [page.id for page in pages(flat)] == ["a.jsonl.gz#wudao-0-3-65975"]
    deep = read(str(crawl / "**" / "*.gz"))
    assert failures(deep) == []
    assert [page.id for page in pages(deep)] == ["2023/b.jsonl.gz#25", "a.jsonl.gz#wudao-0-3-65975"]
    assert pages(deep)[0].output.parent == PurePosixPath("2023/b")


def test_two_inputs_with_the_same_relative_paths_get_unique_ids_and_outputs(tmp_path: Path) -> None:
    for side in ("left", "right"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "a.txt").write_text(side, encoding="utf-8")
        (tmp_path / side / "dump.jsonl").write_bytes(jsonl_bytes(("wudao",)))
    (tmp_path / "right" / "a.html").write_text("<p>right</p>", encoding="utf-8")
    results = pages(read(tmp_path / "left", tmp_path / "right"))
    assert len(results) == 5
    assert_unique_and_safe(results)
    assert [page.id for page in results[:2]] == ["a.txt", "dump.jsonl#wudao-0-3-65975"]  # the first keeps its id
    assert results[2].id == "a.html" and results[2].output == PurePosixPath("a.html")
    assert results[3].id == "a.txt#2"
    # Output names are a pure function of the inputs: a second run gives the same ones.
    assert [page.output for page in pages(read(tmp_path / "left", tmp_path / "right"))] == [p.output for p in results]


# -- JSON Lines ---------------------------------------------------------------------------------------


def test_jsonl_fields_ids_titles_and_urls_of_real_records(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl_bytes())
    ccnet, dirty, wudao, zhihu, finance = read(path)
    assert isinstance(ccnet, PageRecord) and isinstance(dirty, PageRecord) and isinstance(finance, PageRecord)
    assert ccnet.id == "mixed.jsonl#sha1:FJEUC6FNIQO7DDB5CM5RYRKFPHCYP2J7"  # digest
    assert ccnet.data == RECORDS["ccnet"]["raw_content"] and ccnet.url == RECORDS["ccnet"]["url"]
    assert ccnet.source == f"{path} line 1"
    # ChineseWebText keeps url and title one level down, in "info"; no id, so the line number.
    assert dirty.id == "mixed.jsonl#2"
    assert dirty.title == "一国两制彰显中国共产党政治自信_爱思想"
    assert dirty.url == "https://m.aisixiang.com/data/127006.html"
    assert dirty.output == PurePosixPath("mixed") / dirty.output.name
    assert dirty.output.name.startswith("m.aisixiang.com_data_127006.html-")
    assert isinstance(wudao, PageRecord) and wudao.id == "mixed.jsonl#wudao-0-3-65975" and wudao.title is None
    assert isinstance(zhihu, PageRecord) and zhihu.id == "mixed.jsonl#25"  # an integer id
    assert zhihu.data == RECORDS["zhihu"]["content"]
    assert finance.metadata == {"date": "2023-09-23"} and finance.title == RECORDS["skywork_finance"]["title"]
    assert not any(page.html for page in (ccnet, dirty, finance))


@pytest.mark.parametrize("suffix", ["jsonl.gz", "jsonl.zst"])
def test_compressed_jsonl_reads_like_plain(tmp_path: Path, suffix: str) -> None:
    plain = tmp_path / "dump.jsonl"
    plain.write_bytes(jsonl_bytes())
    packed = tmp_path / "packed" / f"dump.{suffix}"
    packed.parent.mkdir()
    data = jsonl_bytes()
    packed.write_bytes(gzip.compress(data) if suffix.endswith("gz") else zstandard.ZstdCompressor().compress(data))
    expected = [(page.data, page.title, page.url, page.id.split("#")[1]) for page in pages(read(plain))]
    got = read(packed)
    assert failures(got) == []
    assert [(page.data, page.title, page.url, page.id.split("#")[1]) for page in pages(got)] == expected
    assert pages(got)[0].output.parent == PurePosixPath("dump")


def test_zstd_with_several_frames(tmp_path: Path) -> None:
    compressor = zstandard.ZstdCompressor()
    path = tmp_path / "frames.jsonl.zst"
    path.write_bytes(compressor.compress(jsonl_bytes(("wudao",))) + compressor.compress(jsonl_bytes(("zhihu",))))
    assert [page.id for page in pages(read(path))] == ["frames.jsonl.zst#wudao-0-3-65975", "frames.jsonl.zst#25"]


def test_truncated_last_line_is_a_failure_after_the_pages_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    data = jsonl_bytes()
    path.write_bytes(data[: len(data) - 40])  # the last record loses its end and its newline
    results = read(path)
    assert len(pages(results)) == 4
    [failure] = failures(results)
    assert failure is results[-1]
    assert failure.source == f"{path} line 5"
    assert "invalid JSON" in failure.problem and "truncated" in failure.problem


def test_invalid_middle_line_is_a_failure_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = jsonl_bytes().splitlines(keepends=True)
    lines[1] = lines[1].rstrip()[:-1] + b"\n"  # the closing brace is missing
    lines.insert(3, b"\xff\xfe not utf-8\n")
    lines.insert(4, b"[1, 2]\n")
    lines.insert(5, b"\n")
    path.write_bytes(b"".join(lines))
    results = read(path)
    assert [page.id for page in pages(results)] == [
        "bad.jsonl#sha1:FJEUC6FNIQO7DDB5CM5RYRKFPHCYP2J7",
        "bad.jsonl#wudao-0-3-65975",
        "bad.jsonl#25",
        "bad.jsonl#8",
    ]
    problems = {failure.source.rsplit(" ", 1)[1]: failure.problem for failure in failures(results)}
    assert set(problems) == {"2", "4", "5"}
    assert problems["2"].startswith("invalid JSON") and "truncated" not in problems["2"]
    assert "not UTF-8" in problems["4"]
    assert "expected a JSON object, found an array" in problems["5"]


def test_record_without_a_text_field_names_the_fields_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "meta.jsonl"
    record = {key: value for key, value in RECORDS["ccnet"].items() if key != "raw_content"}
    path.write_bytes(json.dumps(record, ensure_ascii=False).encode() + b"\n" + jsonl_bytes(("wudao",)))
    failure, page = read(path)
    assert isinstance(failure, ReadFailure) and isinstance(page, PageRecord)
    assert failure.source == f"{path} line 1"
    assert "text, content, raw_content" in failure.problem and "url" in failure.problem


def test_duplicate_ids_in_a_container_are_disambiguated_by_position(tmp_path: Path) -> None:
    path = tmp_path / "dups.jsonl"
    path.write_bytes(jsonl_bytes(("wudao", "wudao", "zhihu", "wudao")))
    results = pages(read(path))
    assert [page.id for page in results] == [
        "dups.jsonl#wudao-0-3-65975",
        "dups.jsonl#wudao-0-3-65975#2",
        "dups.jsonl#25",
        "dups.jsonl#wudao-0-3-65975#4",
    ]
    assert_unique_and_safe(results)
    assert [page.output for page in pages(read(path))] == [page.output for page in results]


def test_a_position_id_does_not_clash_with_a_record_whose_id_is_that_number(tmp_path: Path) -> None:
    path = tmp_path / "numbers.jsonl"
    records = [{"text": "第一条"}, {"id": "1", "text": "第二条"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    results = pages(read(path))
    assert [page.id for page in results] == ["numbers.jsonl#1", "numbers.jsonl#1#2"]
    assert_unique_and_safe(results)


def test_path_traversal_ids_give_safe_unique_outputs(tmp_path: Path) -> None:
    hostile = ["../../etc/passwd", "/abs", "a/../../b", "..", ".", "", "a\x00b", "x" * 3000, "..\\..\\b", "CON"]
    path = tmp_path / "hostile.jsonl"
    text = RECORDS["wudao"]["text"]
    path.write_text("".join(json.dumps({"id": i, "text": text}) + "\n" for i in hostile), encoding="utf-8")
    results = pages(read(path))
    assert len(results) == len(hostile)
    assert_unique_and_safe(results)
    assert all(page.output.parent == PurePosixPath("hostile") for page in results)
    assert all(not page.output.name.startswith(".") for page in results)


def test_html_field_marks_the_page_as_html(tmp_path: Path) -> None:
    path = tmp_path / "html.jsonl"
    record = {"url": RECORDS["skywork_finance"]["url"], "html": f"<p>{RECORDS['skywork_finance']['text']}</p>"}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    [page] = pages(read(path))
    assert page.html and page.data.startswith("<p>转自")


# -- gzip and zstd damage -------------------------------------------------------------------------------


def test_truncated_gzip_gives_the_records_before_then_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    packed = gzip.compress(many_records(2000))
    path.write_bytes(packed[: len(packed) // 2])
    results = read(path)
    assert 100 < len(pages(results)) < 2000
    assert [page.id for page in pages(results)[:2]] == ["cut.jsonl.gz#r0", "cut.jsonl.gz#r1"]
    [failure] = failures(results)
    assert failure is results[-1]
    assert str(path) in failure.source and "truncated" in failure.problem


def test_corrupt_gzip_gives_the_records_before_then_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "flipped.jsonl.gz"
    packed = bytearray(gzip.compress(many_records(2000)))
    for offset in range(len(packed) // 2, len(packed) // 2 + 64):
        packed[offset] ^= 0x5A
    path.write_bytes(bytes(packed))
    results = read(path)
    # Deflate finds the damage only at the member's CRC: the lines decoded before that are garbage, each
    # a failure of its own, and the file ends with the gzip failure.
    assert failures(results)[-1] is results[-1]
    assert str(path) in results[-1].source and "corrupt gzip" in results[-1].problem
    assert 100 < len(pages(results)) < 2000
    assert [page.id for page in pages(results)[:100]] == [f"flipped.jsonl.gz#r{n}" for n in range(100)]


def test_a_gz_file_that_is_not_gzip_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_bytes(jsonl_bytes())
    [failure] = read(path)
    assert isinstance(failure, ReadFailure) and "gzip" in failure.problem


def test_truncated_zstd_gives_the_records_before_then_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.zst"
    data = many_records(4000)
    compressor = zstandard.ZstdCompressor()
    half = data.index(b"\n", len(data) // 2) + 1
    packed = compressor.compress(data[:half]) + compressor.compress(data[half:])
    path.write_bytes(packed[: len(packed) - 100])
    results = read(path)
    assert len(pages(results)) >= data[:half].count(b"\n")
    [failure] = failures(results)
    assert failure is results[-1]
    assert str(path) in failure.source and "truncated" in failure.problem


def test_mislabelled_compression_is_detected_from_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "really_gzip.jsonl"
    path.write_bytes(gzip.compress(jsonl_bytes(("wudao",))))
    assert [page.id for page in pages(read(path))] == ["really_gzip.jsonl#wudao-0-3-65975"]


# -- JSON documents -------------------------------------------------------------------------------------


def test_json_array_of_records(tmp_path: Path) -> None:
    path = tmp_path / "array.json"
    path.write_text(
        json.dumps([RECORDS["wudao"], RECORDS["chinesewebtext_dirty"], 7], ensure_ascii=False), encoding="utf-8"
    )
    results = read(path)
    assert [page.id for page in pages(results)] == ["array.json#wudao-0-3-65975", "array.json#2"]
    [failure] = failures(results)
    assert failure.source == f"{path} record 3" and "found a number" in failure.problem


def test_json_object_holding_records_like_flagai_jinrong(tmp_path: Path) -> None:
    path = tmp_path / "jinrong_data.json"
    second = dict(RECORDS["jinrong"], id=3, content="银行卡长期不用会自动注销吗？")
    path.write_text(
        json.dumps({"RECORDS": [RECORDS["jinrong"], second]}, ensure_ascii=False, indent=4), encoding="utf-8"
    )
    first, other = read(path)
    assert isinstance(first, PageRecord) and isinstance(other, PageRecord)
    assert (first.id, other.id) == ("jinrong_data.json#2", "jinrong_data.json#3")  # "uniqueKey": "" is no id
    assert first.data == RECORDS["jinrong"]["content"] and first.title is None
    assert first.source == f"{path} RECORDS record 1"


def test_invalid_json_document_is_one_failure(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    text = json.dumps({"RECORDS": [RECORDS["jinrong"]]}, ensure_ascii=False, indent=4)
    path.write_text(text[:-20], encoding="utf-8")
    [failure] = read(path)
    assert isinstance(failure, ReadFailure) and str(path) in failure.source and "invalid JSON" in failure.problem


def test_dureader_nested_documents_one_page_each(tmp_path: Path) -> None:
    path = tmp_path / "search.train.json"  # DuReader ships JSON Lines under a .json name
    question = RECORDS["dureader"]
    without_text = dict(question, documents=[*question["documents"], {"title": "空", "is_selected": False}])
    path.write_text(
        json.dumps(question, ensure_ascii=False) + "\n" + json.dumps(without_text, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    results = read(path)
    first = pages(results)[:3]
    assert [page.id for page in first] == ["search.train.json#1.1", "search.train.json#1.2", "search.train.json#1.3"]
    assert [page.title for page in first] == [document["title"] for document in question["documents"]]
    assert first[0].data == "板兰根冲剂编辑 锁定\n药名:板兰根冲剂。"
    assert first[0].source == f"{path} line 1 documents[1]"
    assert len(pages(results)) == 6
    [failure] = failures(results)
    assert failure.source == f"{path} line 2 documents[4]" and "no text field" in failure.problem
    assert_unique_and_safe(pages(results))


def test_options_choose_other_fields(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(
        json.dumps(
            {"question_id": 91161, "question": "板蓝根颗粒的功效与作用", "answers": ["清热解毒"]}, ensure_ascii=False
        )
        + "\n",
        encoding="utf-8",
    )
    options = ReadOptions(text_fields=("answers",), id_fields=("question_id",), title_fields=("question",))
    [page] = pages(read(path, options=options))
    assert (page.id, page.title, page.data) == ("qa.jsonl#91161", "板蓝根颗粒的功效与作用", "清热解毒")
    assert isinstance(read(path)[0], ReadFailure)


# -- WARC ---------------------------------------------------------------------------------------------------


GBK_PAGE = (
    "<html><head><meta charset=gbk><title>华商鸿源分红</title></head><body><p>"
    + RECORDS["skywork_finance"]["text"].split("\n")[1]
    + "</p></body></html>"
).encode("gbk")


def response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    content_type: str,
    status: str = "200 OK",
    extra: list[tuple[str, str]] | None = None,
) -> Any:
    headers = StatusAndHeaders(status, [("Content-Type", content_type), *(extra or [])], protocol="HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)


def write_warc(path: Path, *, gzip_records: bool = True) -> list[int]:
    """A small crawl: warcinfo, request, GBK HTML response, image, 404, gzip-encoded text; returns the
    byte offset where each record ends."""
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=gzip_records)
    ends = []
    url = "http://finance.sina.com.cn/jjxw/2023-09-23/doc-imznsfip4687565.shtml"
    records = [
        writer.create_warcinfo_record(path.name, {"software": "cleanpipe tests"}),
        writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "finance.sina.com.cn")], is_http_request=True),
        ),
        response(writer, url, GBK_PAGE, "text/html; charset=GBK"),
        response(writer, "http://finance.sina.com.cn/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png"),
        response(
            writer, "http://finance.sina.com.cn/missing", b"<html>404</html>", "text/html", status="404 Not Found"
        ),
        response(
            writer,
            "http://finance.sina.com.cn/a.txt",
            gzip.compress(RECORDS["wudao"]["text"].encode("utf-8")),
            "text/plain; charset=utf-8",
            extra=[("Content-Encoding", "gzip")],
        ),
    ]
    for record in records:
        writer.write_record(record)
        ends.append(stream.tell())
    path.write_bytes(stream.getvalue())
    return ends


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_warc_html_and_text_responses_become_pages(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_warc(path, gzip_records=name.endswith(".gz"))
    results = read(path)
    assert failures(results) == []
    html, text = pages(results)
    assert html.html and html.data == GBK_PAGE  # bytes kept as served: the decode stage detects
    assert html.metadata == {"charset": "gbk"}
    assert html.url == "http://finance.sina.com.cn/jjxw/2023-09-23/doc-imznsfip4687565.shtml"
    assert re.fullmatch(rf"{re.escape(name)}#urn:uuid:[0-9a-f-]+", html.id)
    assert html.source == f"{path} record 3"
    assert html.output.parent == PurePosixPath("crawl")
    assert html.output.name.startswith("finance.sina.com.cn_jjxw_2023-09-23_doc-imznsfip4687565.shtml-")
    assert not text.html and text.data == RECORDS["wudao"]["text"].encode("utf-8")  # Content-Encoding undone
    assert text.metadata == {"charset": "utf-8"}
    assert_unique_and_safe([html, text])


def test_zstd_compressed_warc(tmp_path: Path) -> None:
    plain = tmp_path / "crawl.warc"
    write_warc(plain, gzip_records=False)
    packed = tmp_path / "crawl.warc.zst"
    packed.write_bytes(zstandard.ZstdCompressor().compress(plain.read_bytes()))
    assert [page.data for page in pages(read(packed))] == [page.data for page in pages(read(plain))]


@pytest.mark.parametrize("gzip_records", [True, False])
@pytest.mark.parametrize(("record", "into"), [(4, 10), (6, 60), (6, 400), (6, -20)])
def test_truncated_warc_gives_the_records_before_then_a_failure(
    tmp_path: Path, gzip_records: bool, record: int, into: int
) -> None:
    path = tmp_path / ("cut.warc.gz" if gzip_records else "cut.warc")
    ends = write_warc(path, gzip_records=gzip_records)
    data = path.read_bytes()
    # Cut `into` bytes into the record (its first line, its headers, its body), or `-into` before its end.
    path.write_bytes(data[: ends[record - 2] + into] if into > 0 else data[: ends[record - 1] + into])
    results = read(path)
    assert [page.data for page in pages(results)] == [GBK_PAGE]
    [failure] = failures(results)
    assert failure is results[-1]
    assert failure.source == f"{path} record {record}"
    assert "truncated" in failure.problem or "ends inside" in failure.problem


def test_garbage_in_a_warc_is_a_failure_naming_the_record_and_the_records_after_it_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "garbage.warc"
    ends = write_warc(path, gzip_records=False)
    data = path.read_bytes()
    text_page = RECORDS["wudao"]["text"].encode("utf-8")
    path.write_bytes(data[: ends[2]] + b"this is not a WARC header\r\n\r\n" + data[ends[2] :])
    results = read(path)
    assert [page.data for page in pages(results)] == [GBK_PAGE, text_page]
    [failure] = failures(results)
    assert failure.source == f"{path} record 4" and "invalid WARC record" in failure.problem
    # Garbage in two places, one of them inside a record's headers: each is a failure, the rest is read.
    garbled = data[ends[1] : ends[2]].replace(b"WARC-Type: response", b"WARC-Type response \xff", 1)
    path.write_bytes(data[: ends[1]] + b"\x00" * 300 + b"\r\n" + garbled + data[ends[2] :])
    results = read(path)
    assert [page.data for page in pages(results)] == [text_page]  # the garbled HTML response is lost, named
    assert [f.source.rsplit(" ", 1)[1] for f in failures(results)] == ["3", "4"]
    assert all("invalid WARC record" in f.problem for f in failures(results))


def test_a_warc_file_that_is_not_a_warc_is_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_text("这不是 WARC 文件\n", encoding="utf-8")
    [failure] = read(path)
    assert isinstance(failure, ReadFailure) and failure.source == f"{path} record 1"


def test_byte_order_mark_and_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(("wudao", "zhihu")).replace(b"\n", b"\r\n"))
    results = read(path)
    assert failures(results) == []
    assert [page.data for page in pages(results)] == [RECORDS["wudao"]["text"], RECORDS["zhihu"]["content"]]


@pytest.mark.parametrize("name", ["dump.jsonl", "dump.jsonl.gz", "dump.json"])
def test_a_record_line_over_the_limit_is_skipped_unread_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """One line of gigabytes in a small .jsonl.gz must not take the run's memory: a line over
    MAX_RECORD_BYTES (lowered here to 2,000 bytes) is read through in pieces, dropped and named, and the
    records around it are read (and numbered) as usual."""
    from cleanpipe.io import readers

    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 2_000)
    monkeypatch.setattr(readers, "CHUNK_BYTES", 256)
    lines = [
        json.dumps({"id": "big", "text": "长" * 5_000}, ensure_ascii=False),
        json.dumps({"id": "a", "text": "第一页正文。"}, ensure_ascii=False),
        json.dumps({"id": "huge", "text": "大" * 20_000}, ensure_ascii=False),
        json.dumps({"id": "b", "text": "第二页正文。"}, ensure_ascii=False),
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    found = list(iter_pages([tmp_path]))
    assert [(type(item).__name__, item.id) for item in found] == [
        ("ReadFailure", f"{name}#1"),
        ("PageRecord", f"{name}#a"),
        ("ReadFailure", f"{name}#3"),
        ("PageRecord", f"{name}#b"),
    ]
    failure = found[0]
    assert isinstance(failure, ReadFailure)
    assert "a record of over 2,000 bytes (one line); skipped" in failure.problem and "line 1" in failure.source


def test_a_wrong_content_length_is_a_warning_on_the_next_page_not_a_line_on_stderr(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "short.warc"
    ends = write_warc(path, gzip_records=False)
    data = path.read_bytes()
    record = data[ends[1] : ends[2]]  # the GBK HTML response: its WARC Content-Length comes first
    length = int(record.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
    shorter = record.replace(b"Content-Length: %d" % length, b"Content-Length: %d" % (length - 20), 1)
    path.write_bytes(data[: ends[1]] + shorter + data[ends[2] :])
    results = read(path)
    assert failures(results) == [] and len(pages(results)) == 2
    html, text = pages(results)
    assert html.repairs == () and len(text.repairs) == 1 and "Content-Length" in text.repairs[0]
    assert capfd.readouterr().err == ""  # warcio's own warning is not printed


def test_a_content_encoded_body_damaged_midway_fails_rather_than_being_cut(tmp_path: Path) -> None:
    lines = [line for line in (FIXTURES / "property_lines.txt").read_text(encoding="utf-8").splitlines() if line]
    text = "\n".join(f"{n} {lines[n % len(lines)]} {n * 7919 % 104729}" for n in range(4000)).encode("utf-8")
    body = bytearray(gzip.compress(text))
    assert len(body) > 24_000  # the damage, at three quarters, is past warcio's first 16 KB block
    body[len(body) * 3 // 4 : len(body) * 3 // 4 + 64] = bytes(64)
    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=False)
    extra = [("Content-Encoding", "gzip")]
    writer.write_record(response(writer, "http://example.cn/long.txt", bytes(body), "text/plain", extra=extra))
    path = tmp_path / "damaged.warc"
    path.write_bytes(stream.getvalue())
    [failure] = read(path)
    assert isinstance(failure, ReadFailure) and "cannot decode the HTTP body" in failure.problem


def _array_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in jsonl_bytes().splitlines()]


def test_a_json_array_is_read_record_by_record_and_a_break_keeps_the_records_before(tmp_path: Path) -> None:
    records = _array_records()
    whole = json.dumps(records, ensure_ascii=False).encode("utf-8")
    (tmp_path / "a.json.gz").write_bytes(gzip.compress(whole))
    (tmp_path / "same.jsonl").write_bytes(jsonl_bytes())
    streamed = pages(read(tmp_path / "a.json.gz"))
    assert len(streamed) == len(records)
    assert [page.data for page in streamed] == [page.data for page in pages(read(tmp_path / "same.jsonl"))]
    cut = whole[: whole.index(json.dumps(records[3], ensure_ascii=False).encode("utf-8")) + 40]
    (tmp_path / "cut.json").write_bytes(cut)
    found = read(tmp_path / "cut.json")
    assert len(pages(found)) == 3  # before, a document cut anywhere lost every record
    [failure] = failures(found)
    assert "not valid JSON after record 3" in failure.problem


def test_a_json_array_record_over_the_limit_ends_the_file_named_after_the_records_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanpipe.io import readers

    records = _array_records()
    records.insert(2, {"id": "huge", "text": "大" * 400_000})  # 1.2 MB, over the limit set below
    (tmp_path / "a.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 1_000_000)
    monkeypatch.setattr(readers, "_JSON_ARRAY_CHUNK", 65536)  # the limit is checked a chunk at a time
    found = read(tmp_path / "a.json")
    assert len(pages(found)) == 2
    [failure] = failures(found)
    assert "record 3 is over 1,000,000 bytes" in failure.problem and failure.source.endswith("a.json")


def test_a_warc_record_over_the_limit_fails_and_the_next_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cleanpipe.io import readers

    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True)
    big = b"<html><body><p>" + "大".encode() * 400_000 + b"</p></body></html>"
    writer.write_record(response(writer, "http://example.cn/big", big, "text/html; charset=utf-8"))
    writer.write_record(response(writer, "http://example.cn/next", GBK_PAGE, "text/html; charset=GBK"))
    (tmp_path / "crawl.warc.gz").write_bytes(stream.getvalue())
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 1_000_000)
    found = read(tmp_path / "crawl.warc.gz")
    [failure] = failures(found)
    assert "record of over 1,000,000 bytes" in failure.problem
    assert [page.url for page in pages(found)] == ["http://example.cn/next"]
