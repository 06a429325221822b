"""Boilerplate learned from a site: site and line keys, the learning pass and its thresholds, the profile
file, and the boilerplate stage removing learned lines on their own site only.

Pages are real (tests/fixtures/README.md): nine mobile.zol.com.cn articles from the skywork zh_news set,
eight of them carrying the site's shop box ('[经销商] 京东商城' / '[产品售价] ￥3699元' / '进入购买'), and two
pages of a certificate-exam site whose outro repeats the page's title ('以上就是【<title>】的全部内容…').
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES

import cleanpipe
from cleanpipe import Config, ConfigError
from cleanpipe.corpus.learn import (
    PROFILE_VERSION,
    LearnedLine,
    Profile,
    ProfileError,
    SiteProfile,
    apply_profile,
    learn_profile,
    min_pages_for,
    read_profile,
)
from cleanpipe.corpus.site_keys import TITLE_MARK, is_learnable, line_key, site_of
from cleanpipe.document import Block, Document, Inline
from cleanpipe.executors.batch import BatchOptions, run_batch
from cleanpipe.io.readers import iter_pages
from cleanpipe.io.records import PageRecord
from cleanpipe.stages.boilerplate import strip_boilerplate

ZOL = FIXTURES / "learn_zol_pages.jsonl"
FRM = FIXTURES / "learn_gaodun_frm_pages.jsonl"
ZOL_SITE = "mobile.zol.com.cn"
SHOP_BOX = ["[经销商] 京东商城", "[产品售价] ￥0元", "进入购买"]
FRM_OUTRO_START = "以上就是【"


def rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def records(path: Path) -> list[PageRecord]:
    return [page for page in iter_pages([path]) if isinstance(page, PageRecord)]


def learn(pages: list[PageRecord], **settings: object) -> Profile:
    report = learn_profile(pages, Config(**settings))  # type: ignore[arg-type]
    assert report.failures == []
    return report.profile


def learned_keys(profile: Profile, site: str) -> list[str]:
    return [line.key for found in profile.sites if found.site == site for line in found.lines]


def removed_by_learning(result: cleanpipe.CleanResult) -> list[tuple[str, str]]:
    return [(r.rule, r.text) for r in result.removals if r.rule.startswith("learned:")]


# -- site and line keys ---------------------------------------------------------------------------------


def test_site_is_the_url_host_without_www() -> None:
    assert site_of("https://mobile.zol.com.cn/826/8262356.html", "x.jsonl line 1") == ZOL_SITE
    assert site_of("http://WWW.Example.com:8080/a", None) == "example.com"
    assert site_of("news.example.com/a/b", None) == "news.example.com"  # a URL without its scheme
    assert site_of("http://[broken", None) is None


def test_site_without_url_is_the_folder_or_the_dump_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = str(tmp_path / "raw")
    assert site_of(None, "raw/site/a.txt") == os.path.join(folder, "site")
    assert site_of(None, "./raw/site/../site/b.html") == os.path.join(folder, "site")
    assert site_of(None, f"{folder}/dump.jsonl line 42") == f"{folder}/dump.jsonl"
    assert site_of(None, "raw/dump.jsonl.gz line 3") == f"{folder}/dump.jsonl.gz"
    assert site_of(None, "raw/x.json RECORDS record 2") == f"{folder}/x.json"
    assert site_of(None, "raw/x.json line 2 documents[3]") == f"{folder}/x.json"
    assert site_of(None, "raw/crawl.warc.zst record 7") == f"{folder}/crawl.warc.zst"
    assert site_of(None, "raw/my dumps/x.jsonl line 1") == f"{folder}/my dumps/x.jsonl"  # a space in a folder
    assert site_of(None, None) is None and site_of(None, "page") is None


def test_site_of_a_read_record_is_its_folder_or_dump(tmp_path: Path) -> None:
    """What the readers give as `source` is what site_of understands, for page files and dump records."""
    (tmp_path / "raw" / "site").mkdir(parents=True)
    (tmp_path / "raw" / "site" / "a.txt").write_text("正文第一段。\n", encoding="utf-8")
    (tmp_path / "raw" / "frm.jsonl").write_bytes(FRM.read_bytes())
    (tmp_path / "raw" / "zol.jsonl").write_bytes(ZOL.read_bytes())
    sites = {site_of(page.url, page.source) for page in records(tmp_path / "raw")}
    assert sites == {str(tmp_path / "raw" / "site"), str(tmp_path / "raw" / "frm.jsonl"), ZOL_SITE}


def test_line_key_folds_digits_and_whitespace() -> None:
    assert line_key("[产品售价] ￥3699元", None) == line_key("[产品售价]  ￥10999元", None) == "[产品售价] ￥0元"
    assert line_key("阅读 １２３４", None) == "阅读 0"  # full-width digits too
    assert line_key("[经销商] 京东商城", None) != line_key("[经销商] 苏宁易购", None)


def test_line_key_masks_the_pages_own_title_before_its_digits() -> None:
    pages = rows(FRM)
    outros = [next(ln for ln in p["text"].splitlines() if ln.startswith(FRM_OUTRO_START)) for p in pages]
    with_titles = {line_key(outro, page["title"]) for outro, page in zip(outros, pages, strict=True)}
    assert len(with_titles) == 1 and TITLE_MARK in next(iter(with_titles))
    assert "11月" in pages[1]["title"]  # the title's digits are masked with it, not folded first
    assert len({line_key(outro, None) for outro in outros}) == 2
    assert line_key("前言：关于前言", "前言") == "前言：关于前言"  # a title this short is not masked


def test_bare_titles_numbers_and_punctuation_are_not_learnable() -> None:
    assert not is_learnable(TITLE_MARK)
    assert not is_learnable("0。")
    assert is_learnable("进入购买")


# -- learning ---------------------------------------------------------------------------------------


def test_the_shop_box_is_learned_from_the_zol_pages_and_nothing_else() -> None:
    profile = learn(records(ZOL))
    (site,) = profile.sites
    assert (site.site, site.pages) == (ZOL_SITE, 9)
    assert [(line.key, line.pages) for line in site.lines] == sorted((key, 8) for key in SHOP_BOX)
    examples = {line.key: line.example for line in site.lines}
    assert examples["[产品售价] ￥0元"] == "[产品售价] ￥3699元"  # the text as first seen


def test_a_line_repeated_on_one_page_is_never_learned() -> None:
    """Page 89 of the set shows the shop box twice; copies of it count as one page, however many."""
    page = records(ZOL)[-1]
    assert page.data.count("[经销商] 京东商城") == 2  # type: ignore[union-attr]
    copies = [replace(page, id=f"copy{n}") for n in range(8)]
    profile = learn(copies, learn_min_pages=2, learn_min_share=0.1)
    assert profile.sites == () and profile.pages == 1


def test_a_line_on_few_pages_of_a_site_is_content() -> None:
    """With the shop box on one page only, the other pages of the site do not make it boilerplate."""
    pages = records(ZOL)
    only_one = [pages[0]] + [_without_shop_box(page) for page in pages[1:]]
    assert learned_keys(learn(only_one, learn_min_pages=2, learn_min_share=0.1), ZOL_SITE) == []


def _without_shop_box(page: PageRecord) -> PageRecord:
    assert isinstance(page.data, str)
    kept = [line for line in page.data.splitlines() if line_key(line, None) not in SHOP_BOX]
    return replace(page, data="\n".join(kept))


def test_thresholds_are_configurable() -> None:
    pages = records(ZOL)  # the box is on 8 of 9 pages (0.89)
    assert learned_keys(learn(pages, learn_min_pages=9), ZOL_SITE) == []
    assert learned_keys(learn(pages, learn_min_pages=8), ZOL_SITE) == sorted(SHOP_BOX)
    assert learned_keys(learn(pages, learn_min_share=0.9), ZOL_SITE) == []
    assert learned_keys(learn(pages, learn_min_share=0.88), ZOL_SITE) == sorted(SHOP_BOX)
    assert learned_keys(learn(pages, learn_max_chars=4), ZOL_SITE) == ["进入购买"]
    assert [site.site for site in learn(pages[:4]).sites] == []  # a site with too few pages learns nothing
    assert min_pages_for(10, Config()) == 5 and min_pages_for(11, Config()) == 6


def test_thresholds_that_would_learn_from_one_page_are_refused() -> None:
    with pytest.raises(ConfigError, match="'learn_min_pages' must be at least 2"):
        Config.from_mapping({"learn_min_pages": 1})
    with pytest.raises(ConfigError, match="learn_min_pages"):
        learn_profile(records(ZOL), Config(learn_min_pages=1))
    with pytest.raises(ConfigError, match="'learn_min_share' must be above 0"):
        Config.from_mapping({"learn_min_share": 0})
    with pytest.raises(ConfigError, match="'learn' must be true or false"):
        Config.from_mapping({"learn": 1})
    with pytest.raises(ConfigError, match="set it at the top level"):
        Config.from_mapping({"sites": {"zol.com.cn": {"learn_min_share": 0.2}}})
    assert Config.from_mapping({"learn": True, "learn_min_pages": 3}).learn_min_pages == 3


def test_the_title_mask_learns_an_outro_that_names_each_pages_title() -> None:
    pages = records(FRM)  # no URL: the site is the dump file
    site = str(FRM)
    keys = learned_keys(learn(pages, learn_min_pages=2), site)
    assert [key for key in keys if key.startswith(FRM_OUTRO_START)] == [
        line_key(next(ln for ln in rows(FRM)[0]["text"].splitlines() if ln.startswith(FRM_OUTRO_START)), None).replace(
            "金融风险管理师二级报考条件高吗？报培训班有用吗？", TITLE_MARK
        )
    ]
    untitled = [replace(page, title=None) for page in pages]
    assert not [key for key in learned_keys(learn(untitled, learn_min_pages=2), site) if key.startswith("以上就是")]


def test_two_workers_learn_the_same_profile_as_one() -> None:
    pages = records(ZOL) + records(FRM)
    one = learn_profile(pages, Config(learn_min_pages=2), workers=1).profile
    two = learn_profile(pages, Config(learn_min_pages=2), workers=2).profile
    assert one.to_json() == two.to_json() and one.lines > 3


# -- the profile ------------------------------------------------------------------------------------


def test_the_profile_reads_back_and_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    profile = learn(records(ZOL))
    profile.write(tmp_path / "p.json")
    assert read_profile(tmp_path / "p.json") == profile
    assert learn(records(ZOL)).to_json() == (tmp_path / "p.json").read_text(encoding="utf-8")
    data = json.loads(profile.to_json())
    assert data["version"] == PROFILE_VERSION and data["settings"]["learn_min_pages"] == 5


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "invalid JSON"),
        ('{"format": "something else"}', "not a profile"),
        ('{"format": "cleanpipe-learned-boilerplate", "version": 99, "sites": {}}', "profile version 99"),
        ('{"format": "cleanpipe-learned-boilerplate", "version": 1, "sites": []}', "'sites' must be an object"),
        (
            '{"format": "cleanpipe-learned-boilerplate", "version": 1, "sites": {"a.com": {"pages": 5, '
            '"lines": [{"key": "进入购买", "pages": "8"}]}}}',
            "sites.a.com: lines\\[0\\].pages must be a whole number",
        ),
    ],
)
def test_a_bad_profile_is_refused_naming_the_file(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=f"{path}: .*{problem}"):
        read_profile(path)
    with pytest.raises(ProfileError, match="cannot read profile"):
        read_profile(tmp_path / "missing.json")


def test_the_config_digest_follows_the_profile_and_config_show_counts_it() -> None:
    profile = learn(records(ZOL))
    config = apply_profile(Config(), profile)
    fewer = replace(profile, sites=(replace(profile.sites[0], lines=profile.sites[0].lines[:2]),))
    digests = {Config().digest(), config.digest(), apply_profile(Config(), fewer).digest()}
    assert len(digests) == 3
    assert apply_profile(Config(), learn(records(ZOL))).digest() == config.digest()
    shown = config.to_toml()
    assert "# plus 3 learned boilerplate lines for 1 sites" in shown and "京东商城" not in shown


def test_site_tables_carry_the_learned_lines() -> None:
    """A page of a [sites] table is cleaned with that table's Config, which must hold the profile too."""
    base = Config.from_mapping({"sites": {"zol.com.cn": {"dedup_threshold": 95}}})
    config = apply_profile(base, learn(records(ZOL)))
    assert config.for_url("https://mobile.zol.com.cn/1.html").learned == config.learned != ()


# -- removing ---------------------------------------------------------------------------------------


def clean_record(page: PageRecord, config: Config) -> cleanpipe.CleanResult:
    metadata = {key: value for key, value in (("url", page.url), ("title", page.title)) if value}
    return cleanpipe.clean(page.data, source=page.source, config=config.for_url(page.url), metadata=metadata)


def test_learned_lines_are_removed_on_their_own_site_only() -> None:
    pages = records(ZOL)
    config = replace(apply_profile(Config(), learn(pages)), templates=())  # a site's lines alone
    result = clean_record(pages[0], config)
    assert removed_by_learning(result) == [
        (f"learned:{ZOL_SITE}", "[经销商] 京东商城"),
        (f"learned:{ZOL_SITE}", "[产品售价] ￥3699元"),
        (f"learned:{ZOL_SITE}", "进入购买"),
    ]
    assert all("on 8 of the 9 pages" in r.reason for r in result.removals if r.rule.startswith("learned:"))
    assert "进入购买" not in result.markdown and "第二代骁龙8领先版" in result.markdown
    copied = clean_record(replace(pages[0], url="https://www.example.com/copy/8262356.html"), config)
    assert removed_by_learning(copied) == [] and "[经销商] 京东商城" in copied.markdown
    without_url = clean_record(replace(pages[0], url=None), config)
    assert removed_by_learning(without_url) == []


def test_the_title_block_is_never_removed_by_a_learned_line() -> None:
    config = apply_profile(Config(), learn(records(ZOL)))
    blocks = [Block(kind="title", inlines=(Inline("进入购买"),), line=1), Block("paragraph", (Inline("进入购买"),), 2)]
    doc = Document(original="进入购买\n进入购买", blocks=blocks, metadata={"url": "https://mobile.zol.com.cn/9.html"})
    strip_boilerplate(doc, config)
    assert [block.kept for block in doc.blocks] == [True, False]


def test_a_learned_line_is_removed_by_its_rule_name_when_a_named_rule_is_off() -> None:
    """The exam site's outro is a known template (named rules template-outro and promo-tail take it); with
    those rules off, the learned line does."""
    pages = records(FRM)
    rules_off = Config(disabled_rules=frozenset({"template-outro", "promo-tail"}))
    config = apply_profile(rules_off, learn(pages, learn_min_pages=2))
    removed = removed_by_learning(clean_record(pages[1], config))
    texts = [text for rule, text in removed if rule == f"learned:{FRM}"]
    assert [text.split("】")[0] for text in texts] == [
        "以上就是【11月FRM备考有哪些参考书目推荐？",
        "点击这里，可免费领取新版FRM一二级考试必备资料哟！> > >",
    ]
    assert not removed_by_learning(clean_record(pages[1], replace(config, learned=())))


def test_the_batch_run_removes_what_the_learning_pass_learned(tmp_path: Path) -> None:
    """Keys computed while learning equal those computed by the stage in a batch run, for a site that is
    a folder of page files (no URL): every page's shop box is removed, by the folder's learned rule."""
    folder = tmp_path / "raw" / "zol"
    folder.mkdir(parents=True)
    for number, row in enumerate(rows(ZOL)):
        (folder / f"page{number}.txt").write_text(row["text"], encoding="utf-8")
    profile = learn_profile(iter_pages([tmp_path / "raw"]), Config()).profile
    assert [(site.site, len(site.lines)) for site in profile.sites] == [(str(folder), 3)]
    out = tmp_path / "out"
    run_batch(BatchOptions((tmp_path / "raw",), out, apply_profile(Config(), profile)))
    audit = [json.loads(line) for line in (out / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    learned = [entry for entry in audit if entry["rule"] == f"learned:{folder}"]
    assert len(learned) == 8 * 3 + 3  # the box on eight pages, twice on one of them
    assert not any("进入购买" in (out / "zol" / f"page{n}.md").read_text(encoding="utf-8") for n in range(9))


def test_profiles_from_the_stage_point_of_view_are_looked_up_by_site() -> None:
    profile = Profile(
        (
            SiteProfile("a.example", 5, (LearnedLine("进入购买", 5, "进入购买"),)),
            SiteProfile("b.example", 5, (LearnedLine("[经销商] 京东商城", 5, "[经销商] 京东商城"),)),
        )
    )
    config = apply_profile(Config(), profile)
    text = "努比亚Z50S Pro亮相\n[经销商] 京东商城\n进入购买\n"
    kept_a = cleanpipe.clean(text, config=config, metadata={"url": "http://a.example/1"}).markdown
    kept_b = cleanpipe.clean(text, config=config, metadata={"url": "http://b.example/1"}).markdown
    assert "进入购买" not in kept_a and "京东商城" in kept_a
    assert "京东商城" not in kept_b and "进入购买" in kept_b


# -- corpus templates ---------------------------------------------------------------------------------

# A fund company's standard clause (skywork finance: the same law citation opens the notice of many funds'
# meetings): real repeated content, which sits inside articles.
LAW_CLAUSE = (
    "根据《中华人民共和国证券投资基金法》、《公开募集证券投资基金运作管理办法》和基金合同的有关规定，"
    "本公司决定以通讯方式召开本基金的基金份额持有人大会。"
)


def with_clause_inside(record: PageRecord) -> PageRecord:
    """The page with LAW_CLAUSE in the middle of its lines."""
    lines = str(record.data).split("\n")
    middle = len(lines) // 2
    return replace(record, data="\n".join([*lines[:middle], LAW_CLAUSE, *lines[middle:]]))


def test_templates_are_lines_on_many_pages_at_their_edges_that_read_as_boilerplate() -> None:
    profile = learn(records(ZOL) + records(FRM))
    templates = {template.key: template for template in profile.templates}
    assert set(templates) == {"[经销商] 京东商城", "进入购买"}  # the shop box: on 8 pages, at their head or tail
    assert (templates["进入购买"].pages, templates["进入购买"].sites) == (8, 1)
    assert 0.3 <= templates["进入购买"].score <= 1


def test_a_clause_repeated_inside_articles_is_not_a_template() -> None:
    pages = [with_clause_inside(record) for record in records(ZOL)]
    profile = learn(pages, template_min_pages=2, template_min_score=0.0)  # where it sits is enough
    assert line_key(LAW_CLAUSE, None) not in {template.key for template in profile.templates}
    # The guards are what keeps it: where it sits, and that it reads as content.
    everywhere = learn(pages, template_min_pages=2, template_min_edge_share=0.0, template_min_score=0.0)
    assert line_key(LAW_CLAUSE, None) in {template.key for template in everywhere.templates}


def test_a_line_that_reads_as_content_is_not_a_template() -> None:
    profile = learn(records(ZOL), template_min_score=0.99)
    assert profile.templates == ()


def test_a_template_is_removed_on_any_site_with_its_page_count_in_the_audit() -> None:
    """Learned from the zol pages, the shop box's line goes from a page of another site too (a site's learned
    lines would not), with rule template:<id>."""
    config = apply_profile(Config(), learn(records(ZOL)))
    frm = records(FRM)[0]
    first, _, rest = str(frm.data).partition("\n")
    page = f"{first}\n进入购买\n{rest}"
    result = cleanpipe.clean(page, config=config, metadata={"url": frm.url})
    (removal,) = [r for r in result.removals if r.rule.startswith("template:")]
    assert removal.text == "进入购买" and removal.stage == "boilerplate"
    assert "on 8 pages of 1 site(s)" in removal.reason and removal.score is not None
    assert "进入购买" not in result.markdown
    off = replace(config, disabled_rules=frozenset({"template"}))
    assert "进入购买" in cleanpipe.clean(page, config=off, metadata={"url": frm.url}).markdown


def test_templates_go_into_the_profile_and_the_digest(tmp_path: Path) -> None:
    profile = learn(records(ZOL))
    profile.write(tmp_path / "p.json")
    again = read_profile(tmp_path / "p.json")
    assert again.templates == profile.templates
    assert apply_profile(Config(), again).digest() != Config().digest()
    version_1 = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    version_1["version"] = 1
    del version_1["templates"]
    (tmp_path / "v1.json").write_text(json.dumps(version_1), encoding="utf-8")
    assert read_profile(tmp_path / "v1.json").templates == ()  # a profile of the last version still reads


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"template_min_pages": 1}, "'template_min_pages' must be at least 2"),
        ({"template_min_edge_share": 1.5}, "'template_min_edge_share' must be between 0 and 1"),
        ({"template_min_score": -0.1}, "must not be negative"),
    ],
)
def test_template_settings_are_checked(settings: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        Config.from_mapping(settings)
