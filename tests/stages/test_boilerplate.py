"""boilerplate stage: named rules fire on real boilerplate lines from the shared corpus and leave real prose
alone; the footer logic removes a footer and its thin tail but not what follows a footer-like line mid-page;
user rules from config fire and are named in the audit; disabled rules do not fire.

Real lines are quoted inline with the corpus file they come from; whole pages are in tests/fixtures/.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, fixture_text

import cleanpipe
from cleanpipe import Config, ConfigError
from cleanpipe.document import Block, Document, Inline
from cleanpipe.rules.boilerplate import BOILERPLATE_RULES, BoilerplateRule
from cleanpipe.stages.boilerplate import match_rule, strip_boilerplate


def page(lines: list[str]) -> Document:
    """A document with one paragraph block per non-empty line, numbered by its line in `lines`."""
    blocks = [
        Block(kind="paragraph", inlines=(Inline(text),), line=number, group=number)
        for number, text in enumerate(lines, start=1)
        if text.strip()
    ]
    return Document(original="\n".join(lines), blocks=blocks)


def strip(lines: list[str], config: Config | None = None) -> Document:
    return strip_boilerplate(page(lines), config or Config())


def removed(doc: Document) -> list[tuple[str, str]]:
    return [(r.rule, r.text) for r in doc.removals if r.stage == "boilerplate"]


def kept_text(doc: Document) -> list[str]:
    return [block.text for block in doc.blocks if block.kept]


# Real boilerplate lines from the shared corpus, with the rule that must take each.
MUST_FIRE = [
    # skywork zh_news: content-farm outros and their promotions
    ("以上就是【定了！2023年cma11月份考试时间是11月11日】的全部内容啦，更多有关于CMA考试以及CMA项目相关信息大家可以随时关注报考频道，"
     "报考频道会给您更多帮助。", "template-outro"),
    ("以上就是今天的晨报内容，我们会在每天的早晨，以快讯的形式为大家播报昨日深夜至今日凌晨国内外发生的重要资讯。我是猛鲨男鱼王，"
     "祝愿大家身体健康、工作顺利，我们明天再见。", "template-outro"),
    ("点击这里，可免费领取新版FRM一二级考试必备资料哟！> > >", "promo-tail"),
    ("[扫码下载app，中过数字彩1千万以上的专家都在这儿！]", "promo-tail"),
    ("[扫码或长按二维码关注公众号，获取更多精准推荐]", "promo-tail"),
    ("相关阅读：央行上调跨境融资宏观审慎调节参数至1.5，释放稳汇率信号", "related-links"),
    ("本文属于原创文章，如若转载，请注明来源：OPPO K11确认支持“红外遥控”功能https://mobile.zol.com.cn/826/8264142.html",
     "reprint-notice"),
    ("（新浪彩票独家稿件禁止转载，违规必究）", "reprint-notice"),
    ("(责编：漠er凡)", "editor-tail"),
    ("红星新闻记者 郑直", "reporter-credit"),
    ("新华社记者杨思琪、郑天虹、吴晓颖", "reporter-credit"),
    # skywork zh_game
    ("更多有趣内容请关注公众号：瞬间思路（BG_CON）", "promo-tail"),
    ("上一篇地址：", "prev-next"),
    ("点击跳转", "click-through"),
    # skywork zh_finance: editor tails, image credits
    ("责任编辑：杨赐", "editor-tail"),
    ("责任编辑：石秀珍 SF183", "editor-tail"),
    ("封面图片来源：视觉中国-VCG111361568739", "source-tail"),
    ("（图片来源：雪球APP截图）", "source-tail"),
    # skywork zh_tech
    ("本文来自微信公众号", "source-tail"),
    ("编辑丨张丽娟", "editor-tail"),
    ("财联社声明：文章内容仅供参考，不构成投资建议。投资者据此操作，风险自担。", "risk-disclaimer"),
    # ccnet: pager, prev/next, tags, gambling and SEO spam
    ("首页 上一页 5 6 7 8 9 10 11 12 13 14 尾页", "pager"),
    ("上一篇：冰箱有臭味怎么办？冰箱异味处理方法", "prev-next"),
    ("上一条: 烧烤环境 下一条: 真人cs玩法", "prev-next"),
    ("上一篇 你知道温度显示仪的调节方法是什么么 下一篇 无纸记录仪的使用及选型", "prev-next"),
    ("上一篇储杨：这个世界上，没有一步是浪费的", "prev-next"),
    ("下一篇 旁观一场初恋", "prev-next"),
    ("本文关键词：十大正规体育平台，体育平台，世界杯,萨布,利奇,沧州,雄狮,展现,拼搏精神,祝,津门", "tag-line"),
    ("话题标签：小爱同学小米语音助手", "tag-line"),
    ("热门城市：淄博口罩无纺布价格 山东口罩无纺布价格 临沂口罩无纺布价格 潍坊口罩无纺布价格", "related-links"),
    ("盛世棋牌 bb电子网址 博发游戏最高返水 皇冠国际充值佣金 同升国际客户端", "gambling-spam"),
    ("王者威尼斯人现金网网址：相关新闻", "gambling-spam"),
    ("版权声明：本文为原创文章，版权归 shouzhuan 所有，欢迎分享本文，转载请保留出处！", "reprint-notice"),
    ("本文为长沙海尔冰箱售后整理编辑，希望可以帮助大家！", "source-tail"),
    ("信息及图片来源：吕田镇政府", "source-tail"),
    ("（撰稿：施韵）", "editor-tail"),
    # flagdata text demo: share bar and app banner
    ("微信扫一扫", "share-bar"),
    ("分享到您的", "share-bar"),
    ("朋友圈", "share-bar"),
    ("东方财富APP", "app-download"),
    ("手机查看财经快讯", "app-download"),
    ("人参与讨论", "discussion-counter"),
    # dureader
    ("经验内容仅供参考,如果您需解决具体问题(尤其法律、医学等领域),建议您详细咨询相关领域专业人士。",
     "content-disclaimer"),
    ("下载知乎客户端 与世界分享知识、经验和见解", "app-download"),
    ("相关阅读推荐:", "widget-heading"),
    ("猜你在找", "widget-heading"),
    ("最受读者关注的资讯", "widget-heading"),
    # the seed page's footer
    ("举报收藏 0打赏 0评论 0", "report-widget"),
    ("更多>同类百科头条", "more-link"),
    ("推荐百科头条", "widget-heading"),
    ("点击排行", "widget-heading"),
]

# Real lines of genuine content from the shared corpus that no rule may take.
MUST_KEEP = [
    # skywork zh_finance: a concessive mention of the investment disclaimer inside reporting
    "财联社记者也了解到，尽管不构成投资建议，但是不少基金公司有意愿自购自己旗下浮动费率产品。原因在于较为一致认为当前市场处于底部位置，"
    "中长期来看不缺乏机会。",
    "注：择时调仓得分仅供参考。数值为负说明季度观测期间调仓效果为负。但其与基金最终收益不成正比。",
    "01",  # a section number in a fund review
    # skywork zh_news: cells of a table of Go players (numbers were once taken for page links)
    "17",
    "15、16、18",
    "6、12",
    # skywork zh_news / zh_tech: a sentence with an agency's notice glued on must not go with the notice
    "iNKODE是金在中成立的经纪公司，不久前与曾出演《黑暗荣耀》的吴智律签约。郭明东/文 版权所有Mydaily禁止转载",
    "这也说明了，当下厂商不仅是商业模式上的竞争，更是技术先进性的比拼。 ▲图为自象限原创，转载请注明出处",
    # skywork zh_game: a genuine closing paragraph that starts like an outro
    "以上就是给新手玩家的一些小技巧。即使不是赛车玩家，也可以开着喜欢的豪车，下赛道、拍照片，"
    "享受休闲的 极限竞速 玩法。",
    # zhihu: genuine prose about reporting and favourites
    "为什么肖战被全网抵制？其实并没有人故意黑他。直到我被他的粉丝恶意举报，连续举报，三年前的文章都拿出来举报。",
    "倒垃圾，影响出入，然后被我爸举报了，第二天就有人上门来找事儿，后来家里一有事儿，就有人举报，像被别人监控了一样。",
    # skywork zh_general: news paragraphs ending in a 'details' link
    "2023年9月11日，据江西省纪委监委消息，江西省上饶市政府党组成员、副市长李茂荣涉嫌严重违纪违法，主动投案，"
    "目前正接受江西省纪委监委纪律审查和监察调查。详情点击>>",
    # skywork zh_finance: data-source notes under a chart carry the period they cover
    "数据来源：Wind，中信保诚基金，统计期限：2023/8/31-2023/9/6",
    # ccnet: an ordinary sentence about the lottery
    "请大家理性买彩,谨慎跟单。",
]


@pytest.mark.parametrize(("line", "rule_name"), MUST_FIRE, ids=[name for _, name in MUST_FIRE])
def test_real_boilerplate_line_fires(line: str, rule_name: str) -> None:
    rule = match_rule(line, BOILERPLATE_RULES)
    assert rule is not None, f"no rule fires on {line!r}"
    assert rule.name == rule_name


@pytest.mark.parametrize("line", MUST_KEEP)
def test_real_content_line_is_kept(line: str) -> None:
    rule = match_rule(line, BOILERPLATE_RULES)
    assert rule is None, f"{rule and rule.name} fires on genuine text {line!r}"


def _clean_pages() -> list[dict[str, object]]:
    lines = (FIXTURES / "boilerplate_clean_pages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


# What the stage may take from each clean page: nothing, except the finance page's editor credit.
CLEAN_PAGE_REMOVALS: dict[tuple[str, int], list[tuple[str, str]]] = {
    ("skywork_evalloss_zh_finance.shared.jsonl", 17): [("editor-tail", "责任编辑：杨赐")],
}


@pytest.mark.parametrize("record", _clean_pages(), ids=lambda r: f"{r['source']}:{r['line']}")
def test_clean_page_loses_only_its_known_credit(record: dict[str, object]) -> None:
    text = str(record["text"])
    doc = strip(text.splitlines())
    key = (str(record["source"]), int(str(record["line"])))
    assert removed(doc) == CLEAN_PAGE_REMOVALS.get(key, [])
    for removal in doc.removals:
        assert removal.reason == "editor credit line; moved to front matter (editor)"
    if doc.removals:  # the credit is metadata: its name goes to front matter, not away
        assert doc.metadata["editor"] == "杨赐"


def test_seed_footer_goes_and_the_last_paragraph_stays() -> None:
    lines = fixture_text("boilerplate_seed_footer.txt").splitlines()
    doc = strip(lines)
    assert [rule for rule, _ in removed(doc)] == [
        "template-outro",
        "report-widget",
        "more-link",
        "widget-heading",
        "widget-heading",
        "widget-heading",
        "widget-heading",
        "widget-heading",
        "icp-licence",
    ]
    kept = kept_text(doc)
    assert len(kept) == 2
    assert kept[0].startswith("思路②:招募一级代理商")
    assert kept[1].startswith("以上两个思路都要认准一个关键点")


def test_seed_page_cleans_end_to_end() -> None:
    seed = cleanpipe.clean(fixture_text("boilerplate_seed_footer.txt"))
    assert "以上两个思路都要认准一个关键点" in seed.markdown
    for gone in ("以上就是关于电商和微商", "举报收藏", "推荐图文", "点击排行", "ICP备", "网站首页"):
        assert gone not in seed.markdown
    rules = {r.rule for r in seed.removals if r.stage == "boilerplate"}
    assert {"template-outro", "report-widget", "widget-heading", "icp-licence"} <= rules


def test_related_list_trigger_takes_its_thin_tail() -> None:
    lines = fixture_text("boilerplate_related_list.txt").splitlines()
    doc = strip(lines)
    trigger = lines.index("相关阅读推荐:") + 1
    assert removed(doc)[0] == ("widget-heading", "相关阅读推荐:")
    tail = [r for r in doc.removals if r.rule == "footer-tail"]
    assert [r.line for r in tail] == list(range(trigger + 1, len(lines) + 1))
    assert all(f"line {trigger} (widget-heading)" in r.reason for r in tail)
    # the article above the list is untouched
    assert kept_text(doc) == [line for line in lines[: trigger - 1] if line.strip()]


def test_widget_only_page_loses_its_app_banner_and_share_bar() -> None:
    lines = fixture_text("boilerplate_app_widget.txt").splitlines()
    doc = strip(lines)
    assert kept_text(doc) == ["财智星", "东方财富Choice数据", "142"]
    assert ("discussion-counter", "人参与讨论") in removed(doc)
    assert ("share-bar", "微信扫一扫") in removed(doc)
    assert ("footer-tail", "一手掌握市场脉搏") in removed(doc)


ARTICLE = (
    "冰箱出现异味，多半是食物残渣腐败或者密封条发霉造成的。清洁时先断电，取出所有食物，用温水加小苏打擦拭内壁，"
    "再把活性炭或者柚子皮放进冷藏室，一两天后异味就会明显减轻。"
)


def test_footer_like_line_mid_article_is_removed_alone() -> None:
    # ccnet: a prev/next link line, but a whole paragraph follows it, so it does not start the footer.
    nav = "网站首页 | 关于我们 | 联系我们 | 网站地图"
    doc = strip([ARTICLE, "上一篇：冰箱有臭味怎么办？冰箱异味处理方法", ARTICLE, nav])
    assert removed(doc) == [
        ("prev-next", "上一篇：冰箱有臭味怎么办？冰箱异味处理方法"),
        ("nav-line", nav),
    ]
    assert kept_text(doc) == [ARTICLE, ARTICLE]


def test_short_closing_sentence_after_footer_goes_but_a_paragraph_stays() -> None:
    thin = strip([ARTICLE, "推荐阅读", "三大著名补肾固元的长寿穴"])
    assert [rule for rule, _ in removed(thin)] == ["widget-heading", "footer-tail"]
    long_enough = ARTICLE[:60]  # a sentence of 40+ characters counts as content
    assert "。" in long_enough
    kept = strip([ARTICLE, "推荐阅读", long_enough])
    assert removed(kept) == [("widget-heading", "推荐阅读")]
    assert kept_text(kept) == [ARTICLE, long_enough]


def test_prose_about_reports_favourites_and_copyright_survives() -> None:
    lines = [
        "有网友举报称该商家收藏了大量用户信息，监管部门已经介入调查。",
        "这本书的版权所有者是出版社，作者只保留署名权。",
        "评论区的讨论很热烈",
        "为什么肖战被全网抵制？其实并没有人故意黑他。直到我被他的粉丝恶意举报，连续举报，三年前的文章都拿出来举报。",
    ]
    doc = strip(lines)
    assert removed(doc) == []


def test_a_long_run_of_table_cells_is_not_a_footer_tail() -> None:
    # skywork zh_news: a table of Go players split into one cell a line. A footer-like line above more
    # than a page footer's worth of blocks is not the end of the page.
    cells = ["大竹英雄", "日", "5", "1", "徐奉洙", "韩", "2", "1", "刘昌赫", "韩", "3", "6、12"] * 6
    doc = strip([ARTICLE, "推荐阅读", *cells])
    assert removed(doc) == [("widget-heading", "推荐阅读")]
    assert len(kept_text(doc)) == 1 + len(cells)


SLOGAN = BoilerplateRule(
    name="site-slogan",
    pattern=r"^示例网[，,]\s*专注\p{Han}{2,8}$",
    description="the site's slogan under every article",
    example="示例网，专注家电维修",
    keeps=("示例网的维修师傅上门很快。",),
)


def test_user_rule_fires_and_is_named_in_the_audit() -> None:
    doc = strip([ARTICLE, "示例网，专注家电维修", ARTICLE], Config(extra_rules=(SLOGAN,)))
    assert removed(doc) == [("site-slogan", "示例网，专注家电维修")]
    assert doc.removals[0].reason == "the site's slogan under every article"
    assert doc.removals[0].line == 2


def test_user_rule_from_mapping_can_start_the_footer() -> None:
    config = Config.from_mapping(
        {"rules": [{"name": "site-slogan", "pattern": SLOGAN.pattern, "description": "slogan", "footer": True,
                    "example": SLOGAN.example, "keeps": list(SLOGAN.keeps)}]}
    )
    doc = strip([ARTICLE, "示例网，专注家电维修", "家电维修", "空调清洗"], config)
    assert removed(doc) == [
        ("site-slogan", "示例网，专注家电维修"),
        ("footer-tail", "家电维修"),
        ("footer-tail", "空调清洗"),
    ]
    assert "(site-slogan)" in doc.removals[1].reason


def test_user_rule_reaches_the_audit_through_clean() -> None:
    result = cleanpipe.clean(ARTICLE + "\n\n示例网，专注家电维修\n\n" + ARTICLE, config=Config(extra_rules=(SLOGAN,)))
    assert "示例网，专注家电维修" not in result.markdown
    assert [r.rule for r in result.removals if r.stage == "boilerplate"] == ["site-slogan"]


@pytest.mark.parametrize(
    "config",
    [Config(disabled_rules=frozenset({"editor-tail"})), Config.from_mapping({"disabled_rules": ["editor-tail"]})],
)
def test_disabled_rule_does_not_fire(config: Config) -> None:
    doc = strip([ARTICLE, "责任编辑：杨赐"], config)
    assert removed(doc) == []
    assert removed(strip([ARTICLE, "责任编辑：杨赐"])) == [("editor-tail", "责任编辑：杨赐")]


def test_disabled_footer_rule_no_longer_starts_the_footer() -> None:
    lines = [ARTICLE, "推荐阅读", "三大著名补肾固元的长寿穴"]
    doc = strip(lines, Config(disabled_rules=frozenset({"widget-heading"})))
    assert removed(doc) == []


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"name": "broken", "pattern": "([", "description": "d"}, "broken"),
        ({"name": "no-description", "pattern": "x"}, "no-description"),
        ({"name": "wrong-size", "pattern": "x", "description": "d", "max_chars": "long"}, "wrong-size"),
        ({"name": "wrong-footer", "pattern": "x", "description": "d", "footer": "yes"}, "wrong-footer"),
        ({"name": "odd-key", "pattern": "x", "description": "d", "colour": "red"}, "odd-key"),
        ({"name": "misses-example", "pattern": "^abc$", "description": "d", "example": "xyz"}, "misses-example"),
        ({"name": "takes-keep", "pattern": "abc", "description": "d", "keeps": ["abc def"]}, "takes-keep"),
    ],
)
def test_bad_user_rule_is_a_config_error_naming_the_rule(rule: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        Config.from_mapping({"rules": [rule]}, origin="cleanpipe.toml")
    assert "cleanpipe.toml: rules[0]" in str(error.value)


# Credit lines at the end of real articles (shared corpus: ChineseWebText, CCNet, Skywork news), after
# their last paragraph.
CREDIT_TAILS = [
    (
        "加大对涉腐洗钱犯罪的惩治力度，切实把腐败分子盗窃人民的财产如数追回、还给人民。（文章有删改）",
        "责任编辑：陈一豪 唐浚中 全丽 熊冬梅",
        {"editor": "陈一豪、唐浚中、全丽、熊冬梅"},
    ),
    (
        "因此，在买方代理的模式下，投资者的利益则从末位显著上升至首位。",
        "责任编辑：石秀珍 SF183",
        {"editor": "石秀珍"},
    ),
    ("开着法拉利最强量产敞篷车型，游走在都市CBD的夜幕繁华之间。", "（摄影：赵六）", {"photo": "赵六"}),
    (
        "新华社北京3月8日电 记者李四报道，全国两会新闻中心举行记者会。",
        "新华社记者 张三、李四",
        {"author": "张三、李四"},
    ),
]


@pytest.mark.parametrize(("paragraph", "credit", "fields"), CREDIT_TAILS, ids=lambda x: str(x)[:12])
def test_credit_lines_go_to_front_matter_and_the_wire_credit_in_the_text_stays(
    paragraph: str, credit: str, fields: dict[str, str]
) -> None:
    filler = "\n\n".join(f"第{n}段正文，讲述这件事的经过，内容足够长，并以句号结束。" for n in range(1, 5))
    result = cleanpipe.clean(f"一篇文章的标题\n\n{filler}\n\n{paragraph}\n\n{credit}\n")
    assert paragraph in result.markdown and credit not in result.markdown
    front = result.markdown.split("---")[1]
    for key, value in fields.items():
        assert f'{key}: "{value}"' in front
    (removal,) = [r for r in result.removals if r.text == credit]
    assert removal.reason.endswith(f"moved to front matter ({', '.join(sorted(fields))})")


def test_a_credit_does_not_overwrite_the_byline() -> None:
    result = cleanpipe.clean(
        "标题\n\n2023-03-08 作者：王一\n\n正文第一段，内容足够长，并以句号结束。\n\n正文第二段，也以句号结束。\n\n"
        "正文第三段，也以句号结束。\n\n正文第四段。\n\n（撰稿：李四）\n"
    )
    assert 'author: "王一"' in result.markdown
    assert "李四" not in result.markdown
