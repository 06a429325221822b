"""Named boilerplate patterns: data only. The boilerplate stage applies them (stages/boilerplate.py).

Each rule is searched (with the `regex` module) in the text of one block, whitespace folded to single
spaces. A rule fires only on blocks of at most `max_chars` characters, so a long paragraph that merely
mentions a phrase survives. A `footer` rule also starts the page footer: when nothing substantial follows
it, it and everything after it go. `example` is a line the rule must fire on and `keeps` are lines it must
not fire on; tests/rules/test_boilerplate_rules.py checks both for every rule, so a user-added rule
should carry them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex


@dataclass(frozen=True)
class BoilerplateRule:
    name: str
    pattern: str
    description: str
    example: str = ""
    keeps: tuple[str, ...] = ()
    max_chars: int = 200
    footer: bool = False

    def compiled(self) -> regex.Pattern[str]:
        return _compile(self.pattern)


@lru_cache(maxsize=512)
def _compile(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.V1)


# Words that counters and buttons under an article are made of.
_WIDGET = r"(?:举报|收藏|打赏|评论|点赞|赞|踩|分享|转发|回复|阅读|浏览|纠错|我要纠错|反馈|投诉|喜欢|顶|有用|没用)"
_WIDGET_TOKEN = (
    rf"(?:{_WIDGET}\s*[:：]?\s*[\(（]?\d*[\)）]?|[\(（]?\d+[\)）]?\s*(?:次|个|人|条)?{_WIDGET})"
)
_WIDGET_HEAD = r"(?:相关|推荐|热门|最新|精彩|热点|同类|点击|延伸|更多)"
_WIDGET_TAIL = (
    r"(?:阅读|文章|推荐|图文|百科头条|百科|头条|发布|排行榜|排行|产品|资讯|新闻|专题|内容|链接|标签|话题|视频|问答|搜索|热词|文档|下载)"
)

BOILERPLATE_RULES: tuple[BoilerplateRule, ...] = (
    BoilerplateRule(
        name="icp-licence",
        pattern=r"ICP\s*(?:备|證|证|備)\s*\d{5,}|ICP\s*(?:备案号|经营许可证|許可證|许可证号?)\s*[:：]?\s*\p{Han}?\s*\d{5,}",
        description="ICP licence number: site footer",
        example="京ICP备12345678号-1",
        keeps=("网站上线前需要先办理ICP备案，一般二十个工作日左右可以办好。",),
        max_chars=600,
        footer=True,
    ),
    BoilerplateRule(
        name="public-security-record",
        pattern=r"公网安备\s*\d{6,}|公網安備\s*\d{6,}",
        description="public security filing number: site footer",
        example="京公网安备 11010502030000号",
        keeps=("公安机关要求网站在开通后三十日内办理公网安备手续。",),
        max_chars=600,
        footer=True,
    ),
    BoilerplateRule(
        name="copyright",
        pattern=r"版权所有(?![者人权])|版權所有(?![者人權])|(?i:copyright)\s*(?:©|\(c\)|&copy;)?\s*\d{4}|©\s*\d{4}|(?i:all rights reserved)",
        description="copyright line: site footer",
        example="Copyright © 2008-2023 示例网 版权所有",
        keeps=("这本书的版权所有者是出版社，作者只保留署名权。",),
        max_chars=300,
        footer=True,
    ),
    BoilerplateRule(
        name="reprint-notice",
        pattern=r"(?:禁止|严禁|谢绝|不得)(?:任何)?(?:转载|复制|转帖)|转载请(?:务必)?注明|如需转载|未经.{0,12}(?:许可|授权|同意).{0,10}(?:转载|复制|使用)",
        description="reprint prohibition or credit notice",
        example="（本站独家稿件禁止转载，违规必究）",
        keeps=("转载是网络传播的常见方式，但不少作者反对未注明出处的搬运行为，认为这损害了原创者的权益，平台应当完善规则。",),
        max_chars=80,
    ),
    BoilerplateRule(
        name="report-widget",
        pattern=rf"^(?:{_WIDGET_TOKEN}\s*[|/·,，]?\s*)+$",
        description="report/favourite/tip/comment counters under the article",
        example="举报收藏 0打赏 0评论 0",
        keeps=("有网友举报称该商家收藏了大量用户信息。", "评论区的讨论很热烈"),
        max_chars=120,
        footer=True,
    ),
    BoilerplateRule(
        name="more-link",
        pattern=r"^(?:查看|阅读|点击)?更多\s*(?:[>＞»›]+|>>)",
        description="'more >' link to other pages of the site",
        example="更多>同类资讯",
        keeps=("更多的人开始选择线上购物。",),
        max_chars=60,
        footer=True,
    ),
    BoilerplateRule(
        name="widget-heading",
        pattern=rf"^(?:{_WIDGET_HEAD}{_WIDGET_TAIL}+|猜你喜欢|大家都在看|为你推荐|你可能(?:还)?(?:喜欢|感兴趣))\s*[:：]?$",
        description="title of a related/recommended/latest/ranking widget",
        example="推荐图文",
        keeps=("推荐阅读这本书的三个理由", "最新发布的数据显示，居民收入稳步增长。"),
        max_chars=20,
        footer=True,
    ),
    BoilerplateRule(
        name="nav-line",
        pattern=r"^(?:[^|｜\n]{1,24}?\s*[|｜]\s*){3,}[^|｜\n]{0,40}$",
        description="navigation: many short items joined by '|'",
        example="网站首页 | 关于我们 | 联系方式 | 广告服务 | 网站地图",
        keeps=("在 shell 里 a | b | c 表示把输出依次交给下一个命令处理，这是管道的基本用法，很多初学者会在这里犯错。",),
        max_chars=1500,
        footer=True,
    ),
    BoilerplateRule(
        name="nav-spaced",
        pattern=r"^(?:[^\s。，,.！!？?；;：:]{2,14}(?:\s{2,}|\s*[/／]\s*)){4,}[^\s。，,.！!？?；;：:]{2,14}$",
        description="navigation: five or more short items separated by wide spaces or slashes",
        example="首页  新闻  财经  体育  娱乐  科技",
        keeps=("我们 今天 去 公园 散步。",),
        max_chars=400,
    ),
    BoilerplateRule(
        name="pager",
        pattern=r"^(?:[\[【]?\s*(?:上一页|下一页|上页|下页|首页|尾页|末页|\d{1,3})\s*[\]】]?\s*){2,}$",
        description="page-number links",
        example="[上一页] [1] [2] [下一页]",
        keeps=("2023 1 5",),
        max_chars=120,
        footer=True,
    ),
    BoilerplateRule(
        name="prev-next",
        pattern=r"^[\[【]?(?:上一篇|下一篇|上一章|下一章|前一篇|后一篇|上一條|下一條|上一条|下一条)[\]】]?\s*(?:地址|链接)?\s*(?:[:：]|$)",
        description="previous/next article link",
        example="上一篇：春季养生的五个建议",
        keeps=("上一篇文章里我们讲了如何选择基金。",),
        max_chars=100,
        footer=True,
    ),
    BoilerplateRule(
        name="click-through",
        pattern=r"^(?:点击跳转|点击进入|点击查看|点击下载|阅读原文|查看原文|原文(?:地址|链接)\s*[:：]?|返回(?:列表|目录|首页|顶部))\s*$",
        description="click-through button or original-link label",
        example="点击跳转",
        keeps=("点击跳转后页面没有反应，重启浏览器就好了。",),
        max_chars=20,
    ),
    BoilerplateRule(
        name="share-bar",
        pattern=r"^(?:分享到[:：]?.{0,40}|分享至.{0,40}|一键分享.{0,40}|(?:微信|手机|打开微信)?扫一扫.{0,20}|扫描二维码.{0,30}|分享到您的|朋友圈|长按(?:识别)?二维码.{0,20})$",
        description="share bar or QR-code prompt",
        example="微信扫一扫",
        keeps=("她把照片分享到朋友圈后，收到了很多同学的祝福和问候。",),
        max_chars=50,
        footer=True,
    ),
    BoilerplateRule(
        name="discussion-counter",
        pattern=r"^\d*\s*人(?:参与(?:讨论|评论)|点赞|收藏|浏览)$|^(?:字号|字体)\s*[:：]?(?:\s*[大中小]){1,3}$",
        description="discussion counter or font-size switch",
        example="142人参与讨论",
        keeps=("有上千人参与讨论这个话题，说明大家都很关心。",),
        max_chars=20,
    ),
    BoilerplateRule(
        name="template-outro",
        pattern=r"^以上.{0,120}?(?:(?:全部|所有)(?:的)?(?:内容|分享|介绍)|(?:关注|收藏|支持)(?:我们|本站|小编|一下)|希望.{0,16}(?:帮助|有用|帮到))",
        description="template outro: 'that is all about …, follow us'",
        example="以上就是关于如何选购电饭煲的全部内容，如果想了解更多相关内容，可以关注我们！",
        keeps=("以上三种方法各有优缺点，读者可根据自己的情况选择。",),
        max_chars=300,
    ),
    BoilerplateRule(
        name="promo-tail",
        pattern=r"(?:想要|想|欲)?了解更多.{0,40}?(?:请|敬请|欢迎|可以)?(?:关注|访问|点击|登录|进入|咨询)|^更多.{0,30}?(?:请|敬请|欢迎)(?:关注|访问)|点击(?:这里|此处|下方|链接).{0,20}(?:领取|下载|查看|咨询|报名)|(?:免费|立即|限时|\d+(?:\.\d+)?元)领取|(?:关注|搜索)(?:微信)?公众号\s*[:：]",
        description="promotion: 'to learn more, follow/visit …', free-download and follow-our-account calls",
        example="想要了解更多关于考试的相关政策，请访问【报考指南】频道！",
        keeps=("了解更多关于疫苗的知识有助于做出正确判断。",),
        max_chars=160,
    ),
    BoilerplateRule(
        name="editor-tail",
        pattern=r"^[（(【\[]?\s*(?:责任编辑|责编|编辑|校对|审核|审校|监制|主编|编审|值班编辑|实习编辑|特约编辑|美编|排版)\s*[:：|｜]",
        description="editor credit line",
        example="责任编辑：张三",
        keeps=("编辑这份文件需要管理员权限。",),
        max_chars=60,
    ),
    BoilerplateRule(
        name="source-tail",
        pattern=r"^[（(【\[]?\s*(?:文章|稿件|本文|信息)?(?:来源|出处|转自|原文来自)\s*[:：]|^本文(?:由|为|系).{0,30}(?:整理|编辑|原创|发布|提供|转载)|文章仅代表作者(?:个人)?观点|不代表本(?:站|网|平台|报)(?:的)?(?:观点|立场)",
        description="source credit or 'views are the author's own' line",
        example="（文章仅代表作者观点。责编邮箱：editor@example.com）",
        keeps=("来源于生活的艺术往往更能打动人。",),
        max_chars=100,
    ),
    BoilerplateRule(
        name="end-marker",
        pattern=r"^[（(【\[]?\s*(?:完|全文完|本文完|本文结束|全文结束|END|End)\s*[)）】\]]?$",
        description="end-of-article marker",
        example="【本文结束】",
        keeps=("完成",),
        max_chars=12,
    ),
    BoilerplateRule(
        name="risk-disclaimer",
        pattern=r"(?:市场|基金|投资|股市|理财)有风险\s*[，,]?\s*(?:投资|入市|选择)需谨慎|不构成(?:任何)?投资建议|据此操作[，,]?\s*风险自(?:担|负)",
        description="investment risk disclaimer",
        example="基金有风险，投资需谨慎。",
        keeps=("投资需要谨慎地评估风险和收益。",),
        max_chars=200,
    ),
    BoilerplateRule(
        name="tag-line",
        pattern=r"^(?:关键词|关键字|标签|热门标签|(?i:tags?))\s*[:：]",
        description="SEO keyword or tag list",
        example="关键词：基金 理财 收益",
        keeps=("标签化的管理方式让工作更高效。",),
        max_chars=300,
    ),
    BoilerplateRule(
        name="address-line",
        pattern=r"^(?:本文|原文|网站|网页|文章)?(?:访问)?(?:链接|地址|网址)\s*[:：]\s*(?:https?://)?[\w.-]+\.[a-z]{2,}\S*$",
        description="page address line",
        example="本文访问地址：https://www.example.com/a/123.html",
        keeps=("地址：北京市海淀区中关村大街1号",),
        max_chars=200,
    ),
    BoilerplateRule(
        name="app-download",
        pattern=r"^(?:下载|打开|安装).{0,12}(?:APP|App|app|客户端)|(?:APP|App|客户端)\s*(?:下载|内打开|阅读全文)",
        description="app download prompt",
        example="下载新闻客户端，阅读更多精彩内容",
        keeps=("这款App下载量已经超过一亿次，成为年度最受欢迎的应用。",),
        max_chars=40,
    ),
)
