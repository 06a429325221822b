"""Data for telling Chinese legacy encodings apart: which encodings to try, and where their common
characters sit.

A short GBK page usually also decodes without error as Big5 (and as EUC-KR), into nonsense. What tells
the right reading apart is whether the characters it gives are the ones Chinese text is made of. Those
are read from the encodings' own tables rather than listed here: GB2312 holds the 6,763 hanzi of
simplified text, Big5's "frequently used" block the 5,401 of traditional text.
"""

from __future__ import annotations

# Chinese encodings tried with strict decoding, in order of preference when two read equally well.
# gb18030 is a superset of GBK and GB2312; big5hkscs adds Hong Kong characters to Big5.
CHINESE_ENCODINGS: tuple[str, ...] = ("gb18030", "big5", "big5hkscs")

# Encodings charset-normalizer may choose from when neither Chinese encoding reads the bytes cleanly.
FALLBACK_ENCODINGS: tuple[str, ...] = ("utf_8", "gb18030", "big5", "utf_16", "shift_jis", "euc_kr")

# (codec, first lead byte, last lead byte, trail byte ranges): blocks of common characters.
# GB2312 rows 0xB0-0xF7 are its two levels of hanzi; rows 0xA1 and 0xA3 its punctuation and full-width
# forms; rows 0xA6-0xA7 Greek and Cyrillic, which Chinese pages quote (transliterated names).
# Big5 0xA440-0xC67E is the frequently used hanzi block; row 0xA1 its punctuation.
CharacterBlock = tuple[str, int, int, tuple[tuple[int, int], ...]]
COMMON_CHARACTER_BLOCKS: tuple[CharacterBlock, ...] = (
    ("gb2312", 0xB0, 0xF7, ((0xA1, 0xFE),)),
    ("gb2312", 0xA1, 0xA1, ((0xA1, 0xFE),)),
    ("gb2312", 0xA3, 0xA3, ((0xA1, 0xFE),)),
    ("gb2312", 0xA6, 0xA7, ((0xA1, 0xFE),)),
    ("big5", 0xA4, 0xC6, ((0x40, 0x7E), (0xA1, 0xFE))),
    ("big5", 0xA1, 0xA1, ((0x40, 0x7E), (0xA1, 0xFE))),
)

# A reading counts as Chinese when at least this share of its non-ASCII characters are common ones.
# Right readings of real pages score above 0.95; GBK read as Big5 or the reverse mostly below 0.6.
MIN_COMMON_SHARE = 0.8

# Non-Chinese encodings whose bytes GB18030 also reads without error: (encoding, the script its text is
# written in, its language in charset-normalizer's letter-frequency tables). EUC-KR Hangul sits where
# GB2312 keeps common hanzi, so Korean reads as plausible Chinese and short Chinese as plausible Hangul.
# Such a reading wins only when it is almost all in its script and has more of its language's most
# frequent letters than the GB18030 reading has of Chinese's.
OTHER_SCRIPT_ENCODINGS: tuple[tuple[str, str, str], ...] = (("euc_kr", r"\p{Hangul}", "Korean"),)
CHINESE_LANGUAGE = "Chinese"

# Share of the letters of such a reading that must be in its script, and how many there must be at least.
MIN_SCRIPT_SHARE = 0.95
MIN_SCRIPT_LETTERS = 4

# A page's <meta> charset is still trusted when at most this share of the characters it decodes to are
# bad sequences (replaced with U+FFFD and reported): real pages carry a few broken bytes.
MAX_BAD_SHARE = 0.001
