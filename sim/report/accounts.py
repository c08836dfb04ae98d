"""Each lever's account of what it changed, in the briefing's language.

A lever (``sim.reforms``) returns an :class:`~sim.reforms.base.Account`: its name and a list of
changes. A change may carry its own languages — an object with ``zh``/``en`` attributes or a
``text(lang)`` method, or a ``{zh, en}`` dict — and then it is printed as it says. A plain
English string is translated here, from its structure: the pattern of each sentence the levers
write is matched, and the identifiers in it (departments, items, project categories) are
replaced by their display names from the scenario. A sentence no pattern knows is printed as
the lever wrote it, marked as the original (原文), so that nothing a lever did is left out of
the briefing; ``tests/report`` checks that every account of the bundled scenarios translates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sim.report.words import lang_of, pick, thing_name

ORIGINAL = "（原文）"


def lever_title(lever: str, lang: str) -> str:
    """A lever's name as the report calls it: 一站式专区 / colocation (一站式专区)."""
    from sim.reforms import LEVERS

    zh = getattr(LEVERS.get(lever), "ZH", "")
    if lang_of(lang) == "zh":
        return zh or lever
    return f"{lever} ({zh})" if zh else lever


def _split(text: str) -> list[str]:
    """Split a ``fmt()`` list on commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


class _Names:
    """Display names of a scenario's identifiers, for one language."""

    def __init__(self, scenario, lang: str):
        self.sc, self.lang = scenario, lang

    def item(self, key: str) -> str:
        key = key.strip().strip("'")
        return thing_name(self.sc.items, key, self.lang) if self.sc is not None else key

    def dep(self, key: str) -> str:
        key = key.strip().strip("'")
        return thing_name(self.sc.departments, key, self.lang) if self.sc is not None else key

    def ctype(self, key: str) -> str:
        key = key.strip()
        return thing_name(self.sc.case_types, key, self.lang) if self.sc is not None else key

    def items(self, text: str) -> str:
        return "、".join(self.item(k) for k in _split(text)) if text.strip() != "none" else "无"

    def ctypes(self, text: str) -> str:
        return "、".join(self.ctype(k) for k in _split(text))

    def edges(self, text: str) -> str:
        pairs = (e.split("->") for e in _split(text))
        return "、".join(f"{self.item(a)}→{self.item(b)}" for a, b in pairs)

    def moved(self, text: str) -> str:
        out = []
        for entry in _split(text):
            m = re.fullmatch(r"(\S+) \(was (\w+), transfer ([\d.]+) wd\)", entry)
            if not m:
                out.append(self.dep(entry))
                continue
            where = "专区" if m[2] == "zone" else "办公地"
            out.append(f"{self.dep(m[1])}（原在{where}，文件流转 {m[3]} 个工作日）")
        return "、".join(out)

    def shares(self, text: str, sep: str = " ") -> str:
        out = []
        for entry in _split(text):
            name, _, share = entry.rpartition(sep)
            out.append(f"{self.ctype(name)} {share}")
        return "、".join(out)

    def stage_shares(self, text: str) -> str:
        return "、".join(
            re.sub(r"stage (\d+): (\S+)", r"第 \1 阶段 \2", entry) for entry in _split(text)
        )


Rule = tuple[str, Callable[[re.Match, _Names], str]]

# the sentences today's levers write (sim/reforms/*.py), each with its Chinese rendering
RULES: tuple[Rule, ...] = (
    (
        r"moved (\d+) departments into the zone: (.+)",
        lambda m, n: f"{m[1]} 个部门进驻政务服务专区：{n.moved(m[2])}",
    ),
    (
        r"received (\d+) items at the zone's windows: (.+)",
        lambda m, n: f"专区窗口新受理 {m[1]} 个事项：{n.items(m[2])}",
    ),
    (
        r"agency team of (\d+) in the zone accompanies (.+)",
        lambda m, n: f"专区设 {m[1]} 人代办团队，为以下项目类别全程代办：{n.ctypes(m[2])}",
    ),
    (
        r"an agent prepares each submission \(([\d.]+) h\) of (\d+) items: (.+)",
        lambda m, n: f"代办员为 {m[2]} 个事项准备每次申报材料（每次 {m[1]} 小时）：{n.items(m[3])}",
    ),
    (
        r"corrections x([\d.]+) as likely, turned around x([\d.]+) as long",
        lambda m, n: f"补正概率乘以 {m[1]}，补正所需时间乘以 {m[2]}",
    ),
    (
        r"applicant preparation x([\d.]+): (.+)",
        lambda m, n: f"申请人自身准备时间乘以 {m[1]}：{n.items(m[2])}",
    ),
    (
        r"(\d+) items reviewed during land supply, issued after '([^']+)': (.+)",
        lambda m, n: (
            f"{m[1]} 个事项在土地供应期间预审，待“{n.item(m[2])}”完成后即发证：{n.items(m[3])}"
        ),
    ),
    (
        r"(\d+) acceptance items merged into one joint acceptance: no longer serial, each starts "
        r"once its own prerequisites are met: (.+)",
        lambda m, n: (
            f"{m[1]} 个验收事项合并为联合验收，不再串联，各自前置条件满足即开始：{n.items(m[2])}"
        ),
    ),
    (
        r"(\d+) site inspections become one joint inspection \((\S+), as long as the longest, "
        r"(\S+)'s\)",
        lambda m, n: (
            f"{m[1]} 次现场查验合并为一次联合查验（{n.dep(m[2])}牵头，"
            f"用时取最长者，即{n.item(m[3])}）"
        ),
    ),
    (
        r"title registration '([^']+)' runs alongside the acceptance: the title is issued at "
        r"acceptance \(竣工即交证\)",
        lambda m, n: f"“{n.item(m[1])}”与验收同步办理，验收即发证（竣工即交证）",
    ),
    (
        r"title registration '([^']+)' follows the joint acceptance \(竣工即交付\)",
        lambda m, n: f"“{n.item(m[1])}”紧随联合验收办理（竣工即交付）",
    ),
    (
        r"(\d+) items issued on commitment after a ([\d.]+) h check, no correction loop: (.+)",
        lambda m, n: (
            f"{m[1]} 个事项实行告知承诺，经 {m[2]} 小时核对即发证，不再补正：{n.items(m[3])}"
        ),
    ),
    (
        r"post-verification of ([\d.]+) staff hours each, off the critical path; a breach "
        r"\(chance (\d+%)\) holds the next items for rectification",
        lambda m, n: (
            f"事后核查每项 {m[1]} 人工小时，不占关键路径；"
            f"发现违诺（概率 {m[2]}）时，后续事项须待整改完成"
        ),
    ),
    (
        r"(\d+) assessments skipped for cases in assessed areas: (.+)",
        lambda m, n: f"已完成区域评估区域内的项目免做 {m[1]} 项评估：{n.items(m[2])}",
    ),
    (
        r"(\d+) assessments reduced to a ([\d.]+) h confirmation for cases in assessed areas: (.+)",
        lambda m, n: (
            f"已完成区域评估区域内的项目 {m[1]} 项评估改为 {m[2]} 小时的确认：{n.items(m[3])}"
        ),
    ),
    (
        r"share of cases in assessed areas: (.+)",
        lambda m, n: f"位于已评估区域的项目比例：{n.shares(m[1])}",
    ),
    (
        r"stalls capped at ([\d.]+) working days \(problem chances (.+)\)",
        lambda m, n: (
            f"堵点问题协调解决，停滞不超过 {m[1]} 个工作日（各阶段出现问题的概率："
            f"{n.stage_shares(m[2])}）"
        ),
    ),
    (
        r"no blocking problems in the scenario: the cap changes nothing",
        lambda m, n: "方案中没有堵点问题，上限不起作用",
    ),
    (
        r"intake effort x([\d.]+) for (\d+) items: (.+)",
        lambda m, n: f"{m[2]} 个事项的受理工作量乘以 {m[1]}：{n.items(m[3])}",
    ),
    (
        r"correction probability x([\d.]+) for (\d+) items: (.+)",
        lambda m, n: f"{m[2]} 个事项的补正概率乘以 {m[1]}：{n.items(m[3])}",
    ),
    (
        r"(\d+) items now submitted online: (.+)",
        lambda m, n: f"{m[1]} 个事项改为网上申报：{n.items(m[2])}",
    ),
    (
        r"stage (\d+): removed (\d+) practice 'after' edges: (.+)",
        lambda m, n: f"第 {m[1]} 阶段：取消 {m[2]} 个惯例性先后顺序：{n.edges(m[3])}",
    ),
    (
        r"stage (\d+): one joint intake \((\S+), ([\d.eE+-]+) staff hours\) replaces the intakes "
        r"of (\d+) items: (.+)",
        lambda m, n: (
            f"第 {m[1]} 阶段：一次并联受理（{n.dep(m[2])}，{m[3]} 人工小时）"
            f"取代 {m[4]} 个事项各自的受理：{n.items(m[5])}"
        ),
    ),
    (
        r"(\d+) intermediary items in the zone, durations x([\d.]+), no trip: (.+)",
        lambda m, n: f"{m[1]} 项中介服务进驻专区，用时乘以 {m[2]}，无需跑动：{n.items(m[3])}",
    ),
    (
        r"(\S+): (\d+) -> (\d+) staff",
        lambda m, n: f"{n.dep(m[1])}：人员由 {m[2]} 人调整为 {m[3]} 人",
    ),
)


def _own_language(change: Any, lang: str) -> str | None:
    if isinstance(change, str):
        return None
    if callable(getattr(change, "text", None)):
        return str(change.text(lang))
    if isinstance(change, dict) or hasattr(change, "zh") or hasattr(change, "en"):
        got = pick(change, lang)
        return got or None
    return str(change)


def translate(change: str, scenario, lang: str) -> tuple[str, bool]:
    """A change sentence in ``lang``; the flag says whether a translation was found."""
    if lang_of(lang) == "en":
        return change, True
    names = _Names(scenario, "zh")
    for pattern, render in RULES:
        m = re.fullmatch(pattern, change.strip())
        if m:
            return render(m, names), True
    return change, False


def render_account(account, scenario, lang: str) -> tuple[str, list[str]]:
    """The lever's title and its changes in ``lang`` (untranslatable ones marked 原文)."""
    lang = lang_of(lang)
    own = getattr(account, lang, None)  # an Account may carry every change in each language
    if own and not isinstance(own, str) and len(own) == len(account.changes):
        return lever_title(account.lever, lang), [str(c) for c in own]
    lines = []
    for change in account.changes:
        text = _own_language(change, lang)
        if text is None:
            text, ok = translate(change, scenario, lang)
            if not ok:
                text = f"{ORIGINAL}{text}"
        lines.append(text)
    return lever_title(account.lever, lang), lines


def untranslated(accounts, scenario) -> list[str]:
    """The plain-string changes of ``accounts`` that have no Chinese rendering (for tests)."""
    missing = []
    for acc in accounts:
        if getattr(acc, "zh", None):
            continue
        for change in acc.changes:
            if isinstance(change, str) and not translate(change, scenario, "zh")[1]:
                missing.append(f"{acc.lever}: {change}")
    return missing
