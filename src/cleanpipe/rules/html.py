"""Data for finding the main content of an HTML page: hint words, section labels and thresholds.

The logic lives in stages/html.py. Nothing here is taken from one site: each list holds the words that
many sites use for one kind of page chrome, in English and in the pinyin or Chinese that Chinese sites
use, with an example of the markup it matches.

Class and id values are split into tokens (at '-', '_', spaces, digits and camelCase humps, lower-cased):
'post-comment_list2' -> post, comment, list; 'relatedPosts' -> related, posts. A family matches an element
when one of its `tokens` is a token of it, or one of its tokens starts with one of its `prefixes`, or a
whole class name is one of its `tokens` ('sr-only'); a `whole_names` family matches whole names only.
Class names of one or two letters and a number ('pl1', 'mb-2': CSS spacing utilities) are not read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HintFamily:
    name: str
    description: str
    tokens: frozenset[str]
    prefixes: tuple[str, ...] = ()
    example: str = ""
    # Match whole class names only, never a token of one: Drupal's 'field-label-hidden' holds the body.
    whole_names: bool = False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Families of page chrome. A block inside an element of one of these is not main content (the stage
# ignores a hint on <html>/<body> and on an element that holds the page's <h1> or its articleBody).
NEGATIVE_HINTS: tuple[HintFamily, ...] = (
    HintFamily(
        "comments",
        "comment sections, replies and comment forms",
        _words("comment comments commentlist reply replies respond discuss discussion disqus pinglun pl plist"),
        ("comment", "disqus", "pinglun"),
        '<div id="comments" class="comments-area">',
    ),
    HintFamily(
        "related",
        "related-article, recommended and most-read lists",
        _words(
            "related relatedposts recommend recommended recommendation recommendations popular trending mostread "
            "most-read hot hotnews ranking rank readmore read-more also more-stories morestories xgxw xgwz "
            "xiangguan tuijian remen paihang outbrain taboola"
        ),
        ("related", "recommend", "tuijian", "xiangguan", "popular", "trending", "outbrain", "taboola"),
        '<section class="related-posts">',
    ),
    HintFamily(
        "share",
        "share bars and social buttons",
        _words("share shares sharing social sns bdshare jiathis bshare addthis sharethis fenxiang follow"),
        ("share", "social", "bdshare", "jiathis", "fenxiang", "addthis"),
        '<div class="bdsharebuttonbox">',
    ),
    HintFamily(
        "ads",
        "advertisements and sponsored boxes",
        _words(
            "ad ads adv advert adverts advertisement advertising adsense adslot adunit sponsor sponsored promo "
            "promoted promotion gg guanggao dfp gpt-ad"
        ),
        ("advert", "sponsor", "guanggao", "adsense", "adslot", "adunit", "promo"),
        '<div class="ad-slot">',
    ),
    HintFamily(
        "navigation",
        "menus, breadcrumbs, 'you are here' boxes and pagers between articles",
        _words(
            "nav navbar navigation menu menubar submenu breadcrumb breadcrumbs crumb crumbs pagination pager "
            "skip skiplink position location weizhi dqwz daohang prevnext prev-next post-navigation"
        ),
        ("nav", "menu", "breadcrumb", "crumb", "daohang", "pagination"),
        '<div class="breadcrumb">',
    ),
    HintFamily(
        "sidebar",
        "sidebars and widgets beside the article",
        _words("sidebar side aside rail widget widgets sidebox"),
        ("sidebar", "widget", "sidebox", "sidenav"),
        '<div id="sidebar">',
    ),
    HintFamily(
        "header",
        "the site's header and masthead",
        _words("header masthead topbar top-bar siteheader site-header logo"),
        ("masthead", "siteheader"),
        '<div class="site-header">',
    ),
    HintFamily(
        "footer",
        "the site's footer: copyright, licence numbers, contact links",
        _words("footer foot copyright colophon siteinfo site-info beian icp"),
        ("footer", "copyright"),
        '<div id="footer">',
    ),
    HintFamily(
        "subscribe",
        "newsletter, sign-up, log-in and cookie boxes (not paywalls: a paywall class often wraps the article)",
        _words(
            "newsletter subscribe subscription signup sign-up login register modal popup overlay cookie "
            "cookies consent gdpr"
        ),
        ("newsletter", "subscri", "signup", "cookie", "popup", "modal"),
        '<div class="newsletter-signup">',
    ),
    HintFamily(
        "hidden",
        "text meant for screen readers or printers only, or hidden",
        _words("hidden hide sr-only screen-reader-text visually-hidden visuallyhidden noprint print-only"),
        (),
        '<span class="screen-reader-text">',
        whole_names=True,
    ),
    HintFamily(
        "tags",
        "tag and category lists",
        _words("tags tagcloud tag-cloud keywords labels categories cat-links tag-links post-tags"),
        (),
        '<div class="post-tags">',
    ),
    HintFamily(
        "byline",
        "bylines, datelines and author boxes (the author and date go to the front matter from the page's meta)",
        _words(
            "byline bylines author authors author-name authorname dateline timestamp pubdate publishdate "
            "publish-date published date-published posted-on postdate post-date entry-date article-date "
            "meta-date article-meta post-meta entry-meta"
        ),
        ("byline", "author", "timestamp", "dateline"),
        '<div class="article-byline">',
    ),
    HintFamily(
        "captions",
        "figure captions and photo credits",
        _words("caption captions figcaption credit credits photo-credit image-credit wp-caption-text"),
        ("caption",),
        '<figcaption class="wp-caption-text">',
    ),
    HintFamily(
        "gallery",
        "slideshows and carousels",
        _words("slideshow carousel slider swiper lightbox"),
        ("slideshow", "carousel", "swiper"),
        '<div class="slideshow-container">',
    ),
    HintFamily(
        "forms",
        "forms: comment boxes, search and log-in forms (a form wrapping the whole page is ignored)",
        _words("searchform search-form searchbox search-box login-form loginform"),
        (),
        '<form name="commentform">',
    ),
    HintFamily(
        "tools",
        "print, font-size and bookmark tools",
        _words("tools toolbar print fontsize font-size zoom bookmark"),
        (),
        '<div class="article-tools">',
    ),
)

# Tags that are chrome by their name (HTML5 sectioning): the family they belong to.
TAG_HINTS: dict[str, str] = {
    "nav": "navigation",
    "header": "header",
    "footer": "footer",
    "aside": "sidebar",
    "menu": "navigation",
    "figcaption": "captions",
    "time": "byline",
    "form": "forms",
}

# ARIA roles that are chrome: the family they belong to.
ROLE_HINTS: dict[str, str] = {
    "navigation": "navigation",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "search": "navigation",
    "dialog": "subscribe",
    "alert": "subscribe",
}

# Words in class/id that mark the article itself: text inside scores higher when the main content is
# chosen. Example: <div class="article-content">, <div id="artibody">, <div class="TRS_Editor">.
POSITIVE_TOKENS: frozenset[str] = _words(
    "article articlebody article-body content contents post entry body text main story detail details "
    "zhengwen zw artibody maintext post-content entry-content story-body txt neirong nr trs editor "
    "blog news"
)
POSITIVE_PREFIXES: tuple[str, ...] = ("article", "content", "zhengwen", "artibody", "neirong")
# itemprop values that name the article body (schema.org): a strong hint.
ARTICLE_BODY_ITEMPROPS: frozenset[str] = _words("articleBody articlebody text")

# Elements dropped with everything in them before anything else: never visible text.
DROPPED_TAGS: tuple[str, ...] = (
    "script",
    "style",
    "noscript",
    "iframe",
    "button",
    "select",
    "option",
    "svg",
    "canvas",
    "template",
    "object",
    "embed",
    "input",
    "textarea",
    "head",
    "title",
    "link",
    "meta",
    "audio",
    "video",
    "map",
)

# Labels of sections that are not the article: a heading (or a short line) with exactly this text, after
# punctuation and case are folded, starts a section that is dropped up to the next heading of the same
# or a higher level. Example: "<h3>Related Articles</h3><ul>…</ul>", "<div>相关阅读：</div>".
SECTION_LABELS: frozenset[str] = frozenset(
    label.casefold()
    for label in (
        "Related",
        "Related Articles",
        "Related Posts",
        "Related Stories",
        "Related News",
        "Related Content",
        "Related Coverage",
        "Related Links",
        "Read More",
        "Read Next",
        "More Stories",
        "More From",
        "More News",
        "More on This",
        "You May Also Like",
        "You Might Also Like",
        "Recommended",
        "Recommended for You",
        "Most Popular",
        "Most Read",
        "Trending",
        "Popular Posts",
        "Latest News",
        "Comments",
        "Leave a Comment",
        "Leave a Reply",
        "Post a Comment",
        "Join the Conversation",
        "Share This",
        "Share This Article",
        "Share",
        "Tags",
        "Topics",
        "Advertisement",
        "Sponsored",
        "Sponsored Content",
        "Sponsored Links",
        "You May Also Be Interested In",
        "Also Read",
        "Also See",
        "More Coverage",
        "Editor's Picks",
        "Editors' Picks",
        "Top Stories",
        "What to Read Next",
        "Newsletter",
        "Sign Up",
        "Subscribe",
        "About the Author",
        "相关阅读",
        "相关文章",
        "相关新闻",
        "相关链接",
        "相关推荐",
        "相关资讯",
        "推荐阅读",
        "延伸阅读",
        "热门推荐",
        "热门文章",
        "热门新闻",
        "热点推荐",
        "猜你喜欢",
        "你可能还喜欢",
        "为你推荐",
        "精彩推荐",
        "更多精彩",
        "最新文章",
        "最新资讯",
        "点击排行",
        "阅读排行",
        "排行榜",
        "网友评论",
        "评论",
        "发表评论",
        "相关评论",
        "我要评论",
        "最新评论",
        "分享到",
        "分享",
        "广告",
        "相关专题",
        "相关话题",
        "专题推荐",
        "本文标签",
        "标签",
        "上一篇",
        "下一篇",
    )
)
# A short line counts as a section label only up to this many characters.
SECTION_LABEL_MAX_CHARS = 24

# Text is measured in units: a letter or digit counts 1, a CJK character (which carries about as much
# as a short word) this many. Thresholds below are in these units.
CJK_CHAR_UNITS = 3
# Punctuation that ends or splits a sentence, half- and full-width; prose has it, menus do not.
SENTENCE_PUNCTUATION = ".!?;,。！？；，、：…"
# How a sentence ends: a short block ending so is a line of text, not a label.
SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "…", '"', "”", "»", "」")
# A block whose linked text is over this share of its text is a link list (menu, related list).
MAX_LINK_DENSITY = 0.5
# A block shorter than this (units) with no sentence punctuation is a label or a button, not prose.
SHORT_BLOCK_UNITS = 30
# Text inside an element with a positive hint counts this much more when choosing the main content.
POSITIVE_BOOST = 1.5
# A negative hint on an element holding more than this share of the page's text is a layout wrapper's
# name ('has-sidebar', 'main-with-comments'), not chrome, and is ignored.
MAX_HINTED_SHARE = 0.6
# A class name says what a box is meant for, its text what it holds: an element hinted as chrome of a family
# that never holds running prose (share bars, menus, widgets, headers, tools …), whose text is mostly prose
# (at least PROSE_OVERRIDE_SHARE of its units in blocks of PROSE_BLOCK_UNITS or more, with sentence
# punctuation and few links), at least PROSE_OVERRIDE_UNITS of it in PROSE_OVERRIDE_BLOCKS blocks or more
# (a box of one or two notes, a citation and a copyright line, is still chrome), with at most
# PROSE_OVERRIDE_LINK_BLOCKS link blocks per prose block (a list of teasers, a linked title over each
# summary, has more), is a wrapper misnamed
# ('entry-content no-share', 'documentContent__sharingContainer', 'elementor-widget-container'), and its
# hint is ignored. Comments, related-article teasers, cookie and sign-up notices, footers, bylines,
# captions and hidden text are prose by nature, so their hints always hold.
# The standfirst before the main content is looked for this many blocks back, after an <h1>.
LEAD_MAX_BLOCKS = 12
PROSE_HINT_FAMILIES = frozenset(("share", "navigation", "sidebar", "header", "tools", "tags", "gallery", "forms"))
PROSE_BLOCK_UNITS = 80
PROSE_OVERRIDE_UNITS = 300
PROSE_OVERRIDE_SHARE = 0.5
PROSE_OVERRIDE_LINK_BLOCKS = 0.5
PROSE_OVERRIDE_BLOCKS = 3
# A table is a data table (kept as a Markdown table) when it has no nested table, at least two rows,
# a row of at least two cells, and no cell longer than this many characters; else it is page layout.
DATA_TABLE_MAX_CELL_CHARS = 400
# A table holding form fields and at most this many characters of text is a form ('昵称：[ ] 密码：[ ]').
FORM_TABLE_MAX_CHARS = 1000

# Image alt text that is a file name ('milano-design-week-2018-01', 'IMG_2041.jpg') says nothing: no
# spaces, and word parts joined by '-' or '_' or an image suffix.
FILE_NAME_ALT = r"^(?:[\w.]+[-_][\w.-]+|[\w-]+\.(?:jpe?g|png|gif|webp|bmp))$"

# Meta tags that hold the publication date, author and title, most trusted first.
DATE_META: tuple[str, ...] = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "PublishDate",
    "date",
    "DC.date.issued",
    "DC.date",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "published_time",
    "pubtime",
    "firstpublishedtime",
)
AUTHOR_META: tuple[str, ...] = (
    "author",
    "article:author",
    "og:article:author",
    "dc.creator",
    "DC.creator",
    "sailthru.author",
    "parsely-author",
    "byl",
)
# Month names and their usual abbreviations in English, German and French dates ('March 8, 2023',
# '8. März 2023', '1er mars 2023'), lower-cased; Chinese dates are numeric (rules/structure.py DATE).
MONTH_NAMES: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            "january jan januar jänner janvier janv",
            "february feb februar feb février févr fevrier",
            "march mar märz mär maerz mars",
            "april apr avril avr",
            "may mai",
            "june jun juni juin",
            "july jul juli juillet juil",
            "august aug août aout",
            "september sep sept septembre",
            "october oct oktober okt octobre",
            "november nov novembre",
            "december dec dezember dez décembre déc decembre",
        ),
        start=1,
    )
    for name in names.split()
}
# JSON-LD types whose datePublished and author are the page's own (not a breadcrumb's or a site's).
ARTICLE_TYPES = ("Article", "Posting", "Report", "BlogPosting", "WebPage", "CreativeWork")
TITLE_META: tuple[str, ...] = ("og:title", "twitter:title", "headline", "sailthru.title", "parsely-title")
# Separators between an article's title and the site's name in <title>: 'Title - Site', '标题_新浪网'.
TITLE_SEPARATORS = r"\s+[-|–—·:]\s+|\s*[|｜_]\s*|\s+::\s+|\s*——\s*|\s*--\s*"
