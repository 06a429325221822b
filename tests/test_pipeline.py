"""The library step: clean() and the Pipeline users can reorder, drop from and extend; configuration."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import SEED_PAGE, fixture_text

import cleanpipe
from cleanpipe import CleanError, Config, ConfigError, Document, Pipeline
from cleanpipe.document import Block, Inline


def test_default_pipeline_runs_every_stage_in_order() -> None:
    assert Pipeline().names() == [
        "decode", "escapes", "html", "markup", "repeats", "structure", "boilerplate", "dedup", "classifier", "render"
    ]
    timings = cleanpipe.clean(SEED_PAGE.read_bytes()).timings
    assert list(timings) == Pipeline().names()


def test_dropping_a_stage_keeps_what_it_would_remove() -> None:
    raw = SEED_PAGE.read_bytes()
    without = Pipeline().without("dedup").clean(raw)
    assert without.markdown.count("首先,我想问句,到底什么是微商?") == 3  # teaser, article, its copy
    assert not [r for r in without.removals if r.stage == "dedup"]
    with pytest.raises(ValueError, match="no stage named nope"):
        Pipeline().without("nope")


def test_a_user_stage_can_be_added_and_records_its_removals() -> None:
    def drop_lines_with_question_marks(doc: Document, config: Config) -> Document:
        for index in doc.kept_indices():
            if doc.blocks[index].kind == "heading" and doc.blocks[index].text.endswith("?"):
                doc.remove_block(index, stage="mine", rule="no-questions", reason="house style")
        return doc

    pipeline = Pipeline().insert(drop_lines_with_question_marks, after="classifier")
    assert pipeline.names()[-2] == "drop_lines_with_question_marks"
    result = pipeline.clean(SEED_PAGE.read_bytes())
    assert "## 具体怎么操作?" not in result.markdown
    assert any(r.stage == "mine" and r.text == "具体怎么操作?" for r in result.removals)


def test_stages_can_be_reordered_and_replaced() -> None:
    names = Pipeline().names()
    swapped = [*names[:5], "dedup", "boilerplate", "render"]
    assert Pipeline().reorder(swapped).names() == swapped
    replaced = Pipeline().replace("boilerplate", lambda doc, config: doc)
    result = replaced.clean(SEED_PAGE.read_bytes())
    assert "举报收藏" in result.markdown and replaced.names() == names


def test_clean_is_deterministic_and_safe_from_threads() -> None:
    pages = [SEED_PAGE.read_bytes(), *fixture_text("property_lines.txt").encode("utf-8").split(b"\n")[:10]]
    pages = [page for page in pages if page.strip()]
    alone = [cleanpipe.clean(page).markdown for page in pages]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda page: cleanpipe.clean(page).markdown, pages * 4))
    assert threaded == alone * 4


def test_bad_pages_raise_an_error_naming_the_page() -> None:
    with pytest.raises(CleanError, match=r"^pages/empty\.txt: page is empty"):
        cleanpipe.clean(b"   \n", source="pages/empty.txt")
    with pytest.raises(CleanError, match=r"^<text>: content looks binary"):
        cleanpipe.clean(b"\x00\x01\x02" * 100)


def test_config_from_toml_and_pyproject(tmp_path: Path) -> None:
    config_file = tmp_path / "cleanpipe.toml"
    config_file.write_text(
        'dedup_threshold = 95\ndisabled_rules = ["template-outro", "promo-tail", "title-template"]\n'
        '[[rules]]\nname = "house-slogan"\npattern = "^本站口号"\ndescription = "the site slogan"\n'
        'example = "本站口号：做最好的百科"\nkeeps = ["口号是宣传的一种方式"]\n',
        encoding="utf-8",
    )
    config = Config.from_toml(config_file)
    assert config.dedup_threshold == 95.0 and "template-outro" in config.disabled_rules
    assert [rule.name for rule in config.extra_rules] == ["house-slogan"]
    result = cleanpipe.clean(SEED_PAGE.read_text(encoding="utf-8") + "\n本站口号：做最好的百科\n", config=config)
    assert "以上就是关于电商和微商有什么区别?全部的内容" in result.markdown  # the three rules that take it are off
    assert any(r.rule == "house-slogan" for r in result.removals)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.cleanpipe]\ndedup_min_chars = 20\n", encoding="utf-8")
    assert Config.from_toml(pyproject).dedup_min_chars == 20


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dedup_treshold = 80", "unknown key 'dedup_treshold'"),
        ("dedup_threshold = 180", "'dedup_threshold' must be between 0 and 100"),
        ('dedup_min_chars = "ten"', "'dedup_min_chars' must be a number"),
        ("dedup_threshold = [", "cannot read config"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    config_file = tmp_path / "cleanpipe.toml"
    config_file.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Config.from_toml(config_file)


def test_the_readme_configuration_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    config_file = tmp_path / "cleanpipe.toml"
    config_file.write_text(example, encoding="utf-8")
    config = Config.from_toml(config_file)
    assert [rule.name for rule in config.extra_rules] == ["site-slogan"]
    assert config.for_url("https://news.example.com/a").dedup_threshold == 95
    assert config.for_url("https://elsewhere.org/a").dedup_threshold == 90
    assert config.for_url("http://[news.example.com/a").dedup_threshold == 90  # malformed: no site, no crash


HTML_PAGE = (
    "<html><head><title>延续部分到期税收优惠政策</title></head><body>"
    '<ul class="main-nav"><li><a href="/">首页</a></li><li><a href="/news">要闻动态</a></li></ul>'
    "<article><p>为进一步减轻企业负担，自治区延续实施部分到期的税收优惠政策，执行期限延长至2027年底。</p>"
    "<p>2019年至2021年，相关税收优惠政策累计减免税金约135亿元。政策的实施，既增强了企业发展后劲。</p></article>"
    "</body></html>"
)


def test_html_is_a_stage_that_can_be_dropped_or_replaced() -> None:
    result = Pipeline().clean(HTML_PAGE, source="p.html")
    assert "html" in result.timings and "要闻动态" not in result.markdown
    assert any(removal.stage == "html" and removal.rule == "html-navigation" for removal in result.removals)
    # Without the html stage the markup stage reads the page as text: no main content is picked.
    plain = Pipeline().without("html").clean(HTML_PAGE, source="p.html")
    assert "要闻动态" in plain.markdown and "延长至2027年底" in plain.markdown
    assert not any(removal.stage == "html" for removal in plain.removals)

    # Another reader in its place: what it reads is kept, and markup leaves it alone.
    def first_paragraph_only(doc: Document, config: Config) -> Document:
        doc.blocks = [Block(kind="paragraph", inlines=(Inline("只有这一段。"),), line=1)]
        doc.reader = "mine"
        return doc

    mine = Pipeline().replace("html", first_paragraph_only).clean(HTML_PAGE, source="p.html")
    assert "只有这一段。" in mine.markdown and "延长至2027年底" not in mine.markdown


def test_escapes_markup_and_html_import_no_other_stage() -> None:
    # Helpers they share live below them (cleanpipe.reading, cleanpipe.repairs): stages import downward.
    import ast

    for name in ("escapes", "markup", "html"):
        path = Path(cleanpipe.__file__).parent / "stages" / f"{name}.py"
        imported = {
            node.module
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not {module for module in imported if module.startswith("cleanpipe.stages")}, name
