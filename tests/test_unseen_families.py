"""The seed page's defect families in other spellings, around a real article cleanpipe was not tuned on:
another teaser label, backslash escapes, another image host and lazy-load attribute, another outro and
another site's footer. The outcome must be the seed's: the article once, repaired markup, no residue."""

from __future__ import annotations

from conftest import fixture_text

import cleanpipe

TITLE, *PARAGRAPHS = [line for line in fixture_text("tech_article_plain.txt").splitlines() if line.strip()]
IMAGE = "https://img.example-cdn.com/upload/2023/10/a1.jpg"


def _content_farm_page() -> str:
    body = "\\r\\n".join(PARAGRAPHS)  # escaped CR LF between paragraphs, backslashes kept
    teaser = "导读：" + PARAGRAPHS[0][:40] + "…"
    broken_image = (
        f'/img.example-cdn.com/upload/2023/10/a1.jpg?x-oss-process=image/resize,w_600"'
        f' data-original="{IMAGE}" alt="奔驰S级"/>'
    )
    broken_link = '详见：/www.example.com/news/20231012/123.html" target="_blank" rel="nofollow">奔驰回应车机传闻'
    return "\n".join([
        TITLE,
        "2023年10月12日 14:20  来源：科技新闻网  阅读：1536",
        teaser,
        "",
        TITLE,
        body,
        broken_image,
        broken_link,
        "",
        "奔驰车机的选择",  # the same article pasted again under another line
        body,
        "",
        "以上便是小编为大家整理的关于奔驰车机的全部内容，希望对大家有所帮助！",
        "上一篇：华为发布新款车机系统",
        "下一篇：新能源汽车十月销量出炉",
        "相关文章",
        "奔驰S级新车上市",
        "鸿蒙车机体验",
        "关于我们 | 联系我们 | 广告合作 | 免责声明 | 网站地图",
        "Copyright © 2012-2023 科技新闻网 All Rights Reserved 沪ICP备12345678号-3",
    ])


def test_unseen_spellings_of_the_seed_defects_are_cleaned_the_same_way() -> None:
    result = cleanpipe.clean(_content_farm_page().encode("utf-8"), source="unseen.txt")
    body = result.markdown.split("\n---\n", 1)[1]
    for paragraph in PARAGRAPHS:
        if len(paragraph) >= 12:  # the article also has lone '。' lines, which may stay twice
            assert body.count(paragraph) == 1, paragraph  # every paragraph of the article, once
    assert f"![奔驰S级]({IMAGE})" in body
    assert "[奔驰回应车机传闻](https://www.example.com/news/20231012/123.html)" in body
    assert result.metadata["title"] == TITLE
    assert result.metadata["date"] == "2023-10-12 14:20"
    assert result.metadata["source"] == "科技新闻网" and result.metadata["views"] == 1536
    for residue in ("导读", "\\r\\n", "target=", "data-original", "x-oss-process", "以上便是", "上一篇", "下一篇",
                    "相关文章", "关于我们", "ICP", "Copyright", "奔驰车机的选择"):
        assert residue not in body, residue
    assert cleanpipe.clean(result.markdown).markdown == result.markdown
