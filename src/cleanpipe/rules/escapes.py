"""Spellings of escaped line breaks that scrapers leave in text, and invisible characters to drop.

Each entry is (name, regex). A match becomes one line break per escaped break it contains; two or more
in a row become a paragraph break. The stage (stages/escapes.py) adds the guards that keep these from
firing inside URLs, hex strings and identifiers.
"""

from __future__ import annotations

# Spellings that keep their backslashes: unambiguous outside code, which quotes them. A text escaped twice
# has two (or more) backslashes before each ("。\\x0d\\x0a其实"); the stage takes those only beside
# non-ASCII text, since in ASCII text a doubled backslash is an escaped backslash.
_B = r"\\{1,4}"
BACKSLASH_BREAKS: tuple[tuple[str, str], ...] = (
    ("escaped-crlf", rf"{_B}x0[dD]{_B}x0[aA]|{_B}r{_B}n|{_B}u000[dD]{_B}u000[aA]"),
    ("escaped-lf", rf"{_B}x0[aA]|{_B}n|{_B}u000[aA]|{_B}x0[dD]|{_B}r"),
)

# The same escapes after the backslashes were lost ("。x0dx0a其实"). Ambiguous with hex, so the stage
# requires that no letter or digit comes right before the run and that the run is not inside a URL.
BARE_BREAK = r"(?:x0[dD]x0[aA])+"

# Line breaks written as HTML: <br>, <br/>, <BR />. A real line break right after the tag ("a<br />\r\n")
# is part of the same break: pages that put both on every line must not become all paragraph breaks.
# One written '\<br>' is text (cleanpipe escapes a '<br>' an HTML page shows as text).
HTML_BREAK = r"(?<!\\)<\s*br\s*/?\s*>(?:[ \t]*\r?\n)?"

# Named or numeric character references with their semicolon. Entities without one ("&copy=1" in a URL)
# are left alone: decoding them would corrupt query strings, and so are those whose "&" is escaped with
# a backslash ("\&amp;" in Markdown is the literal text "&amp;").
ENTITY = r"(?<!\\)&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"

# Invisible characters that only break matching: zero-width space/joiners, word joiner, BOM, soft hyphen.
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# Spaces that are not ASCII: no-break space, ideographic space, thin spaces and the like.
ODD_SPACES = "\u00a0\u3000\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
