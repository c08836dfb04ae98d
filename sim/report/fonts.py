"""Finding a font that can write Chinese.

matplotlib's default font has no CJK glyphs. :func:`cjk_font` looks for one of the common CJK
fonts among the system's font files (and registers it with matplotlib, whose font cache may
predate the font's installation), in this order: Noto Sans CJK, Source Han Sans, WenQuanYi Micro
Hei, WenQuanYi Zen Hei, Droid Sans Fallback, AR PL UMing/UKai, SimHei, Microsoft YaHei, PingFang.
On Debian ``apt-get install fonts-wqy-microhei`` (small) or ``fonts-noto-cjk`` provides one.
"""

from __future__ import annotations

import functools
import re

from matplotlib import font_manager

# (pattern of the font file name, family name matplotlib will know it by)
CANDIDATES: tuple[tuple[str, str], ...] = (
    (r"NotoSansCJK", "Noto Sans CJK SC"),
    (r"NotoSansSC", "Noto Sans SC"),
    (r"SourceHanSans", "Source Han Sans SC"),
    (r"wqy-microhei", "WenQuanYi Micro Hei"),
    (r"wqy-zenhei", "WenQuanYi Zen Hei"),
    (r"DroidSansFallback", "Droid Sans Fallback"),
    (r"uming|ukai", "AR PL UMing CN"),
    (r"simhei", "SimHei"),
    (r"msyh", "Microsoft YaHei"),
    (r"PingFang", "PingFang SC"),
)


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or ``None`` when there is none."""
    files = font_manager.findSystemFonts()
    for pattern, _ in CANDIDATES:
        rx = re.compile(pattern, re.IGNORECASE)
        for path in sorted(files):
            if rx.search(path):
                try:
                    font_manager.fontManager.addfont(path)
                    return font_manager.FontProperties(fname=path).get_name()
                except (OSError, RuntimeError, ValueError):
                    continue
    return None
