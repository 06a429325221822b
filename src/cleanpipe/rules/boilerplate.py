"""Named boilerplate patterns: data only. The boilerplate stage applies them (stages/boilerplate.py).

Each rule is searched (with the `regex` module) in the text of one block, each run of spaces folded to one
space, or to two where the page left a wide gap. A rule fires only on blocks of at most `max_chars`
characters, so a long paragraph that merely mentions a phrase survives. A `footer` rule also starts the
page footer: when nothing substantial follows it, it and everything after it go. `example` is a line the
rule must fire on and `keeps` are lines it must not fire on; tests/rules/test_boilerplate_rules.py checks
both for every rule, and a user-added rule is checked against its own when the config is loaded.
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
# A notice that follows a whole sentence in the same block is the tail of a paragraph, not a line of its
# own: removing the block would take the sentence with it, so such notices are left alone.
_NO_SENTENCE_BEFORE = r"(?<![。！？!?].*)"
# Words of gambling-site spam that scrapers paste into keyword lists. Place names that are also hotels
# (威尼斯人, 葡京, 金沙, 太阳城, 皇冠) count only with a site-like word after them.
_GAMBLING = (
    r"(?:现金网|百家乐|六合彩|时时彩|北京赛车|真人视讯|真人荷官|电子游艺|体育投注|娱乐城|申博|返水|"
    r"(?i:bet365|bt365|ag代理)|"
    r"(?:威尼斯人|葡京|金沙|太阳城|皇冠|博彩)(?:娱乐|现金|官网|网址|平台|注册|开户|登[录入]|真人|棋牌|电子|国际|(?i:app))|"
    r"(?:娱乐|体育|彩票|棋牌|电玩)(?:平台|网址|官网|注册|开户|代理|登[录入]|电子))"
)
_WIDGET_TAIL = (
    r"(?:阅读|文章|推荐|图文|百科头条|百科|头条|发布|排行榜|排行|产品|资讯|新闻|专题|内容|链接|标签|话题|视频|问答|搜索|热词|文档|下载)"
)

BOILERPLATE_RULES: tuple[BoilerplateRule, ...] = (
    BoilerplateRule(
        name="no-text",
        pattern=r"^[^\p{L}\p{N}]+$",
        description="a line of punctuation or symbols only, left where text was cut out",
        example="。",
        keeps=("第3章", "A"),
        max_chars=40,
    ),
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
        pattern=(
            _NO_SENTENCE_BEFORE
            + r"(?:版权所有(?![者人权])|版權所有(?![者人權])|(?i:copyright)\s*(?:©|\(c\)|&copy;)?\s*\d{4}|©\s*\d{4}"
            r"|(?i:all rights reserved))"
        ),
        description="copyright line: site footer",
        example="Copyright © 2008-2023 示例网 版权所有",
        keeps=(
            "这本书的版权所有者是出版社，作者只保留署名权。",
            # a caption sentence with the agency's notice glued on: the sentence must not go with it
            "该公司上月与一位新演员签约，双方合作将持续三年。记者/文 版权所有某某日报",
        ),
        max_chars=300,
        footer=True,
    ),
    BoilerplateRule(
        name="reprint-notice",
        # '▲' starts an image caption: a notice after it belongs to a caption glued to body text.
        pattern=(
            r"(?<![。！？!?▲].*)(?:(?:禁止|严禁|谢绝|不得)(?:任何)?(?:转载|复制|转帖)|转载请(?:务必)?(?:注明|保留|标明)"
            r"|如(?:需|若|要)转载|未经.{0,12}(?:许可|授权|同意).{0,10}(?:转载|复制|使用)"
            r"|(?:如有|若有|如|若)侵权.{0,12}(?:联系|删除))"
        ),
        description="reprint prohibition, credit or takedown notice",
        example="本文为本站原创，如若转载，请注明来源：https://www.example.com/news/1.html",
        keeps=(
            "转载是网络传播的常见方式，但不少作者反对未注明出处的搬运行为，认为这损害了原创者的权益，平台应当完善规则。",
            "厂商大致可以分为三类。▲图为本站原创，转载请注明出处",
            "调查发现这批图片被大量搬运。如需转载，作者要求先取得书面许可。",
        ),
        max_chars=200,
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
        pattern=r"^(?:点击)?(?:查看|阅读|进入)?(?:更多|往期|全部|历史)\p{Han}{0,8}\s*[>＞»›]+",
        description="'more >' link to other pages of the site",
        example="点击查看往期文章>>>",
        keeps=("更多的人开始选择线上购物。", "往期节目中，主持人曾多次提到这个问题。"),
        max_chars=60,
        footer=True,
    ),
    BoilerplateRule(
        name="widget-heading",
        pattern=(
            rf"^(?:{_WIDGET_HEAD}{_WIDGET_TAIL}+|猜你(?:喜欢|在找|想看|爱看)|大家都在看|为你推荐|你可能(?:还)?(?:喜欢|感兴趣)"
            r"|最受\p{Han}{0,4}(?:关注|欢迎)的(?:资讯|文章|新闻|内容|帖子))\s*[:：]?$"
        ),
        description="title of a related/recommended/latest/ranking widget",
        example="推荐图文",
        keeps=("推荐阅读这本书的三个理由", "最新发布的数据显示，居民收入稳步增长。", "最受欢迎的三种口味"),
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
        # Bare numbers are table cells, scores or section numbers as often as page links, so a pager needs a
        # paging word or page numbers in brackets.
        pattern=(
            r"^(?=.*(?:上一页|下一页|上页|下页|首页|尾页|末页))"
            r"(?:[\[【]?\s*(?:上一页|下一页|上页|下页|首页|尾页|末页|\d{1,3}|…|\.{3})\s*[\]】]?\s*){2,}$"
            r"|^(?:[\[【]\s*\d{1,3}\s*[\]】]\s*){2,}$"
        ),
        description="page-number links",
        example="首页 上一页 3 4 5 6 下一页 尾页",
        keeps=("2023 1 5", "17", "15、16、18", "01"),
        max_chars=120,
        footer=True,
    ),
    BoilerplateRule(
        name="prev-next",
        # With a separator, or glued to a title that is not a sentence ('上一篇储某：标题'); words that
        # continue a sentence ('上一篇文章里…', '上一篇提到…') are prose.
        pattern=(
            r"^[\[【]?(?:上一篇|下一篇|上一章|下一章|前一篇|后一篇|上一條|下一條|上一条|下一条)[\]】]?\s*(?:地址|链接)?\s*(?:[:：]|\s|$)"
            r"|^(?:上一篇|下一篇)(?!文章|中|里|的|我们|讲|说|提|介绍|写|内容|已经)[^。！？!?]{2,60}$"
        ),
        description="previous/next article link",
        example="上一篇 春季养生的五个建议 下一篇 夏季防暑小常识",
        keeps=("上一篇文章里我们讲了如何选择基金。", "上一篇提到的方法，今天继续展开。"),
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
        # the counter sits in the widget strip under the article, so what follows it is widgets too
        footer=True,
    ),
    BoilerplateRule(
        name="template-outro",
        # '…全部内容', '关注我们', '希望对你有帮助', or a daily column's sign-off ('…我们明天再见').
        pattern=(
            r"^以上.{0,120}?(?:(?:全部|所有)(?:的)?(?:内容|分享|介绍)|(?:关注|收藏|支持)(?:我们|本站|小编|一下)"
            r"|希望.{0,16}(?:帮助|有用|帮到)|我们(?:明天|下期|下次)再?见)"
        ),
        description="template outro: 'that is all about …, follow us'",
        example="以上就是关于如何选购电饭煲的全部内容，如果想了解更多相关内容，可以关注我们！",
        keeps=(
            "以上三种方法各有优缺点，读者可根据自己的情况选择。",
            "以上就是给新手的一些小技巧。即使不是老玩家，也可以开着喜欢的车下赛道拍照片。",
        ),
        max_chars=300,
    ),
    BoilerplateRule(
        name="promo-tail",
        pattern=(
            r"了解更多.{0,40}?(?:请|敬请|欢迎|可以)?(?:关注|访问|点击|登录|进入|咨询)"
            r"|^更多.{0,30}?(?:请|敬请|欢迎)(?:关注|访问|浏览|登录|查看)"
            r"|点击(?:这里|此处|下方|链接|图片).{0,20}(?:领取|下载|查看|咨询|报名)"
            r"|(?:免费|立即|限时|\d+(?:\.\d+)?元)领取|(?:关注|搜索)(?:微信)?公众号\s*[:：]"
            # 'scan to download/follow' only as a call (line start, bracket, or after 欢迎/请): '他扫码下载了' is news
            r"|(?:^|[\[【(（，,]|欢迎(?:大家)?|请|立即|赶快)\s*扫码(?:或长按二维码)?(?:下载|关注|添加|领取|进群|咨询)"
        ),
        description="promotion: 'to learn more, follow/visit …', free-download, scan-to-follow calls",
        example="想要了解更多关于考试的相关政策，请访问【报考指南】频道！",
        keeps=("了解更多关于疫苗的知识有助于做出正确判断。", "他扫码下载了这个应用，结果被骗走三千元。"),
        max_chars=160,
    ),
    BoilerplateRule(
        name="editor-tail",
        pattern=(
            r"^[（(【\[]?\s*(?:责任编辑|责编|编辑|校对|审核|审校|监制|主编|编审|值班编辑|实习编辑|特约编辑|美编|排版"
            r"|撰稿|撰文|供稿|摄影|统筹)\s*[:：|｜丨]"
        ),
        description="editor credit line",
        example="（撰稿：李四）",
        keeps=("编辑这份文件需要管理员权限。", "摄影爱好者在湖边等了一整天。"),
        max_chars=60,
    ),
    BoilerplateRule(
        name="source-tail",
        pattern=(
            r"^[（(【\[]?\s*(?:文章|稿件|本文|信息|消息|内容)?(?:及图片)?(?:来源|出处|转自|原文来自)\s*[:：]"
            r"|^[（(【\[*]?\s*(?:封面|题图|头图|配图)?图片?(?:来源|来自)\s*[:：]"
            r"|^本文(?:由|为|系).{0,30}(?:整理|编辑|原创|发布|提供|转载)"
            r"|^本文(?:来自|转自|转载自|来源于|译自|摘自|选自|原载于?)"
            r"|(?:文章|本文)(?:内容)?(?:仅|只)代表(?:作者|笔者|本人)(?:个人)?(?:观点|看法|立场)"
            r"|不代表本(?:站|网|平台|报|号|刊)\p{Han}{0,6}(?:观点|立场)"
        ),
        description="source, image or reprint credit, or 'views are the author's own' line",
        example="（文章仅代表作者观点。责编邮箱：editor@example.com）",
        keeps=("来源于生活的艺术往往更能打动人。", "图片来自现场观众的手机，画面有些模糊。"),
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
        # '不构成投资建议' is a disclaimer when it opens a sentence or follows '仅供参考'; after '尽管' it is prose.
        pattern=(
            r"(?:市场|基金|投资|股市|理财)有风险\s*[，,]?\s*(?:投资|入市|选择)需谨慎"
            # (the phrase first and its context in a lookbehind, so the search can scan for the phrase)
            r"|(?<=(?:^|[。；;！!：:]|仅供参考[，,]?)\s*\p{Han}{0,8}?)不构成(?:任何)?投资建议"
            r"|据此操作[，,]?\s*风险自(?:担|负)"
        ),
        description="investment risk disclaimer",
        example="本文内容仅供参考，不构成任何投资建议。",
        keeps=("投资需要谨慎地评估风险和收益。", "记者了解到，尽管不构成投资建议，不少机构仍在增持。"),
        max_chars=200,
    ),
    BoilerplateRule(
        name="tag-line",
        pattern=r"^(?:本文|文章|相关|热门|话题)?(?:关键词|关键字|标签|(?i:tags?))\s*[:：]",
        description="SEO keyword or tag list",
        example="本文关键词：基金,理财,收益",
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
        # also the app banner: a bare '<brand>APP' label and its 'read on your phone' slogans
        pattern=(
            r"^(?:下载|打开|安装).{0,12}(?:APP|App|app|客户端)|(?:APP|App|客户端)\s*(?:下载|内打开|阅读全文)(?![量次数])"
            r"|^\p{Han}{2,8}(?:APP|App|客户端)$|^(?:在)?手机(?:上)?(?:查看|阅读|浏览)\p{Han}{0,8}$"
        ),
        description="app download prompt or app banner",
        example="下载新闻客户端，阅读更多精彩内容",
        keeps=(
            "这款App下载量已经超过一亿次，成为年度最受欢迎的应用。",
            "某App下载量突破一亿",
            "手机查看文件时要注意保护隐私，不要随意授权。",
        ),
        max_chars=40,
    ),
    BoilerplateRule(
        name="related-links",
        pattern=(
            r"^(?:相关|延伸|推荐|扩展|拓展)(?:阅读|新闻|文章|链接|报道|资讯)\s*[:：]"
            # a 'hot/related X:' label followed by a bare keyword list: SEO link farm
            r"|^(?:热门|相关|推荐|热点)\p{Han}{1,4}\s*[:：]\s*(?:[^\s。，,！!？?；;]{2,30}\s+){2,}[^\s。，,！!？?；;]{2,30}$"
        ),
        description="related-article link or keyword link list",
        example="相关阅读：春季养生的五个建议",
        keeps=("相关新闻报道指出，这一政策将在明年实施。", "推荐理由：这本书把复杂的问题讲得很清楚。"),
        max_chars=200,
        footer=True,
    ),
    BoilerplateRule(
        name="reporter-credit",
        # A line made only of role + name pairs ('新华社记者 张三 李四', '记者 王五 编辑 赵六'). Words that
        # follow 记者 in headings or prose ('记者手记', '记者节', '记者了解到') are not names.
        pattern=(
            r"^(?:\p{Han}{0,6}?(?:记者|编辑|通讯员|实习生|摄影)\s*"
            r"(?!手记|观察|调查|简介|来信|札记|笔记|节|会|证|站|部|团|们|了解|获悉|发现|注意|从|在|问|说)"
            r"[\p{Han}·]{2,4}(?:\s*[、，,]\s*[\p{Han}·]{2,4})*\s*)+$"
        ),
        description="reporter or editor credit line",
        example="新华社记者 张三、李四",
        keeps=("记者手记", "记者了解到", "记者节快乐"),
        max_chars=50,
    ),
    BoilerplateRule(
        name="content-disclaimer",
        pattern=r"^[^。]{0,12}?(?:内容|信息|文章|回答|以上|本文|观点)\p{Han}{0,4}仅供参考",
        description="'content for reference only' disclaimer",
        example="以上内容仅供参考，如有具体问题，建议咨询专业人士。",
        keeps=("注：择时得分仅供参考，数值为负说明调仓效果为负。", "仅供参考的数字不能作为决策依据。"),
        max_chars=120,
    ),
    BoilerplateRule(
        name="gambling-spam",
        # The line's shape (a keyword list, or one short phrase without punctuation) is checked first: it
        # rules out prose cheaply, before the keyword scan.
        pattern=(
            r"^(?=(?:[^\s。，,！!？?；;]{2,24}\s+){2,}[^\s。，,！!？?；;]{2,24}$|[^。，,！!？?；;]{2,40}$)"
            rf".*?{_GAMBLING}"
        ),
        description="gambling-site keyword spam",
        example="某某娱乐平台注册 真人视讯开户 百家乐网址 棋牌官网",
        keeps=(
            "澳门威尼斯人酒店今年接待游客超过百万人次，同比增长两成。",
            "体育彩票公益金用于支持全民健身",
        ),
        max_chars=300,
    ),
)
