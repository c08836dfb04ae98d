"""The CJK font the charts and the briefing write Chinese with.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs and Typst ships none, so the
package depends on ``noto-cjk-sans-otc`` (PyPI; Google's Noto Sans CJK, SIL Open Font License
1.1): ``pip install -e .`` puts ``NotoSansCJK-Regular.ttc`` beside its Python files, and
:func:`cjk_font_file` finds it there. That collection holds one face per region; the Simplified
Chinese one is called **Noto Sans CJK SC**, and it carries Latin letters and digits as well, so
English and Chinese text share one typeface. No system font is needed; when the package is
missing anyway, a system Noto Sans CJK / Source Han Sans / WenQuanYi file serves instead, and
with none at all :func:`require_cjk_font` raises :class:`FontMissing` with a message that says
how to get one — a Chinese briefing is never silently written in English.

:func:`cjk_font` registers the file with matplotlib's font manager (whose cache may predate the
install) and returns the family name; :func:`font_dirs` gives Typst the folder to load it from.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

PACKAGE = "noto_cjk_sans_otc"  # the distribution noto-cjk-sans-otc
PACKAGED_FILE = "NotoSansCJK-Regular.ttc"
FAMILY = "Noto Sans CJK SC"

# system fallbacks: (pattern of the font file name, preferred family inside the file)
CANDIDATES: tuple[tuple[str, str], ...] = (
    (r"NotoSansCJK", "Noto Sans CJK SC"),
    (r"NotoSansSC", "Noto Sans SC"),
    (r"SourceHanSans", "Source Han Sans SC"),
    (r"wqy-microhei", "WenQuanYi Micro Hei"),
    (r"wqy-zenhei", "WenQuanYi Zen Hei"),
)


class FontMissing(RuntimeError):
    """No font that can write Chinese is installed (the ``zh`` briefing cannot be made)."""


def _packaged_file() -> Path | None:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / PACKAGED_FILE
        if path.is_file():
            return path
    return None


def _system_file() -> tuple[Path, str] | None:
    from matplotlib import font_manager

    files = sorted(font_manager.findSystemFonts())
    for pattern, family in CANDIDATES:
        rx = re.compile(pattern, re.IGNORECASE)
        for path in files:
            if rx.search(Path(path).name):
                return Path(path), family
    return None


@functools.cache
def cjk_font_file() -> tuple[Path, str] | None:
    """The CJK font file and the family to use from it, or ``None`` when there is none."""
    packaged = _packaged_file()
    if packaged is not None:
        return packaged, FAMILY
    return _system_file()


@functools.cache
def cjk_font() -> str | None:
    """Register the CJK font with matplotlib and return its family name (``None``: no font)."""
    found = cjk_font_file()
    if found is None:
        return None
    path, family = found
    from matplotlib import font_manager

    try:
        font_manager.fontManager.addfont(str(path))
    except (OSError, RuntimeError, ValueError):
        return None
    known = {f.name for f in font_manager.fontManager.ttflist if f.fname == str(path)}
    if family in known:
        return family
    # a file with one face, or a collection without the preferred face: its first family
    return sorted(known)[0] if known else None


def require_cjk_font() -> str:
    """The CJK family name; raises :class:`FontMissing` with what to install when there is none.

    The command line calls this before any simulation runs when ``--lang zh`` is asked for.
    """
    family = cjk_font()
    if family is None:
        raise FontMissing(
            "no font that can write Chinese was found: the package noto-cjk-sans-otc (installed "
            "by `pip install -e .`) is missing and no system Noto Sans CJK, Source Han Sans or "
            "WenQuanYi font exists; reinstall with `python -m pip install -e .` or "
            "`pip install noto-cjk-sans-otc`"
        )
    return family


def font_dirs() -> list[Path]:
    """Folders Typst loads fonts from: the CJK font's (empty when there is none)."""
    found = cjk_font_file()
    return [found[0].parent] if found else []
