"""The committee briefing: one PDF (and its charts as PNG) from a comparison, in English or Chinese.

Page 1 gives the answer in plain language — the headline numbers with their 95% confidence
intervals. Then the charts, each with a one-sentence caption; then the assumptions and the levers
applied (each lever's own account of what it changed); last, the provenance of the run.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.report import charts
from sim.report.charts import style

WORDS = {
    "en": {
        "title": "Briefing: {base}",
        "sub": "Simulated with approvalsim {version} on {date}; {reps} paired replications, "
        "seed {seed}; 95% confidence intervals.",
        "headline": "{alt} would change mean approval time from {a:.1f} to {b:.1f} working days "
        "({rel:+.1%}; 95% CI of the change {lo:+.1f} to {hi:+.1f} days) — on the "
        "statutory clock from {sa:.1f} to {sb:.1f} — trips per project from "
        "{ta:.1f} to {tb:.1f}, and the time from completion to title from {ca:.1f} "
        "to {cb:.1f} working days.",
        "single": "{base}: mean approval time {a:.1f} working days (95% CI {lo:.1f} to "
        "{hi:.1f}), {ta:.1f} trips per project, {ca:.1f} working days from completion "
        "to title.",
        "meaning": "Approval time runs from application to the last permit and through "
        "acceptance, leaving out the applicant's own work (design, construction); it "
        "includes corrections, expert reviews and intermediaries, which the "
        "statutory clock leaves out.",
        "bottleneck": "The department where tasks wait longest in {base}: {dep} (mean wait "
        "{wait:.1f} hours).",
        "captions": {
            "lead": "How long approvals take in {base}, by project category (working days); "
            "dashed: the national (120) and Jiangsu (100) working-day targets, which "
            "count only the statutory clock.",
            "compare": "Each alternative's change in mean approval time against {base}, with "
            "95% confidence intervals from paired replications.",
            "stage": "What the time of each stage is made of in {base}: queueing, staff work, "
            "elapsed delays and the applicant's time.",
            "util": "How busy each department is, month by month, in {base}.",
            "swim": "One typical project of {base}, item by item: serial steps form a "
            "staircase, parallel ones stand side by side.",
            "trips": "How many times an applicant goes to an office, per project.",
        },
        "limits": {"national target, 120 wd": 120, "Jiangsu target, 100 wd": 100},
        "assumptions": "Assumptions and levers",
        "levers": "Levers applied in {name}:",
        "no levers": "{name}: no levers (the baseline).",
        "calendar": "Years with no official holiday notice yet (holidays computed by rule): "
        "{years}.",
        "provenance": "Provenance",
    },
    "zh": {
        "title": "简报：{base}",
        "sub": "由 approvalsim {version} 于 {date} 模拟；{reps} 次配对重复，随机种子 {seed}；"
        "区间为 95% 置信区间。",
        "headline": "{alt}将使平均审批时长由 {a:.1f} 个工作日变为 {b:.1f} 个工作日（{rel:+.1%}；"
        "变化量的 95% 置信区间为 {lo:+.1f} 至 {hi:+.1f} 天；按法定时限口径由 {sa:.1f} "
        "变为 {sb:.1f} 个工作日），每个项目跑动次数由 "
        "{ta:.1f} 次变为 {tb:.1f} 次，竣工到发证由 {ca:.1f} 个工作日变为 {cb:.1f} "
        "个工作日。",
        "single": "{base}：平均审批时长 {a:.1f} 个工作日（95% 置信区间 {lo:.1f} 至 {hi:.1f}），"
        "每个项目跑动 {ta:.1f} 次，竣工到发证 {ca:.1f} 个工作日。",
        "meaning": "审批时长自申请起至最后一项许可及竣工验收，不含申请人自身工作（设计、施工）；"
        "其中包括补正、专家评审和中介服务时间，而法定时限不计这些时间。",
        "bottleneck": "{base}中任务等候最久的部门：{dep}（平均等候 {wait:.1f} 小时）。",
        "captions": {
            "lead": "{base}各类项目的审批时长（工作日）；虚线为全国（120）与江苏（100）工作日目标，"
            "目标只计法定时限内的时间。",
            "compare": "各方案相对{base}的平均审批时长变化，及配对重复得到的 95% 置信区间。",
            "stage": "{base}各阶段时间构成：排队等候、人工审查、公示论证等、申请人时间。",
            "util": "{base}各部门逐月工作负荷。",
            "swim": "{base}中一个典型项目的逐项办理过程：串联呈阶梯状，并联则并排。",
            "trips": "每个项目申请人前往办事地点的次数。",
        },
        "limits": {"全国目标 120 个工作日": 120, "江苏目标 100 个工作日": 100},
        "assumptions": "假设与改革措施",
        "levers": "{name}采用的改革措施：",
        "no levers": "{name}：未采用改革措施（基线）。",
        "calendar": "尚无官方放假通知的年份（按规则推算节假日）：{years}。",
        "provenance": "数据来源与可复现信息",
    },
}


def _wrap(text: str, lang: str, width: int = 95) -> list[str]:
    if lang != "zh":
        return textwrap.wrap(text, width) or [""]
    # Chinese: break between characters, but never inside a run of Latin letters or digits
    limit = width * 0.46  # a CJK character is about twice as wide as a Latin one
    lines, line, used = [], "", 0.0
    for token in re.findall(r"[A-Za-z0-9.,:;%+\-_()/' ]+|.", text):
        size = sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in token)
        if used + size > limit and line:
            lines.append(line)
            line, used = "", 0.0
        line += token
        used += size
    return [*lines, line] if line else lines or [""]


def _text_page(title: str, paragraphs: list[str], lang: str) -> Figure:
    fig = plt.figure(figsize=(8.27, 11.69))  # A4
    fig.text(0.08, 0.94, title, fontsize=16, weight="bold" if lang == "en" else "normal")
    y = 0.9
    for para in paragraphs:
        for line in _wrap(para, lang):
            fig.text(0.08, y, line, fontsize=10)
            y -= 0.022
        y -= 0.012
        if y < 0.06:
            break
    return fig


def _caption_page(png: Path, caption: str, lang: str) -> Figure:
    """An A4 page: the chart (as rendered to PNG) at the top, its caption beneath."""
    image = plt.imread(png)
    page = plt.figure(figsize=(8.27, 11.69))
    h, w = image.shape[:2]
    width = 0.84
    height = min(0.62, width * h / w * 8.27 / 11.69)
    ax = page.add_axes((0.08, 0.93 - height, width, height))
    ax.imshow(image)
    ax.set_axis_off()
    y = 0.9 - height
    for line in _wrap(caption, lang, 100):
        page.text(0.08, y, line, fontsize=10)
        y -= 0.022
    return page


def _save(pdf: PdfPages, page: Figure) -> None:
    pdf.savefig(page)
    plt.close(page)


def write_brief(comparison, out: Path, lang: str = "en") -> Path:
    """Write ``briefing.pdf`` and the charts as PNG into ``out``; return the PDF's path."""
    import sim

    w = WORDS["zh" if lang == "zh" else "en"]
    out.mkdir(parents=True, exist_ok=True)
    base = comparison.baseline
    bname = base.scenario.scenario.name
    reps = len(base.traces)
    headline = []
    if comparison.alternatives:
        for alt in comparison.alternatives:
            name = alt.scenario.scenario.name
            d = comparison.delta(name, "approval_wd_mean")
            tr = comparison.delta(name, "trips_mean")
            ti = comparison.delta(name, "completion_to_title_wd")
            sc = comparison.delta(name, "clock_wd_mean")
            headline.append(
                w["headline"].format(
                    alt=name,
                    a=d["baseline_mean"],
                    b=d["alternative_mean"],
                    rel=d["relative_delta"],
                    lo=d["delta_ci_low"],
                    hi=d["delta_ci_high"],
                    ta=tr["baseline_mean"],
                    tb=tr["alternative_mean"],
                    ca=ti["baseline_mean"],
                    cb=ti["alternative_mean"],
                    sa=sc["baseline_mean"],
                    sb=sc["alternative_mean"],
                )
            )
    else:
        v = base.value("approval_wd_mean")
        headline.append(
            w["single"].format(
                base=bname,
                a=v["mean"],
                lo=v["ci_low"],
                hi=v["ci_high"],
                ta=base.value("trips_mean")["mean"],
                ca=base.value("completion_to_title_wd")["mean"],
            )
        )
    from sim.analysis.breakdown import bottleneck

    dep, wait = bottleneck(base)
    dep_name = base.scenario.departments[dep].name.get(lang) if dep else "-"
    first = [
        w["sub"].format(
            version=sim.__version__, date=dt.date.today().isoformat(), reps=reps, seed=base.seed
        ),
        *headline,
        w["meaning"],
        w["bottleneck"].format(base=bname, dep=dep_name, wait=wait),
    ]
    results = [base, *comparison.alternatives]
    pages: list[tuple[str, Figure, str]] = [
        (
            "lead",
            charts.lead_time_chart(base, lang=lang, column="approval_wd", limits=w["limits"]),
            "lead",
        )
    ]
    if comparison.alternatives:
        pages.append(("compare", charts.comparison_chart(comparison, lang=lang), "compare"))
    pages += [
        ("stage", charts.stage_breakdown_chart(base, lang=lang), "stage"),
        ("util", charts.utilisation_heatmap(base, lang=lang), "util"),
        ("swim", charts.swimlane_chart(base, lang=lang), "swim"),
        ("trips", charts.trips_chart(results, lang=lang), "trips"),
    ]
    assumptions = [base.scenario.scenario.description or bname]
    for res in results:
        name = res.scenario.scenario.name
        if res.accounts:
            assumptions.append(w["levers"].format(name=name))
            for acc in res.accounts:
                for change in acc.changes:
                    assumptions.append(f"{acc.lever}: {change}")
        else:
            assumptions.append(w["no levers"].format(name=name))
    years = sorted({y for r in results for y in r.assumed_calendar_years})
    if years:
        assumptions.append(w["calendar"].format(years=", ".join(map(str, years))))
    provenance = [
        f"{r.scenario.scenario.name}: seed {r.seed}, {len(r.traces)} replications, "
        f"levers {', '.join(r.scenario.applied) or '-'}"
        for r in results
    ]
    provenance.append(f"approvalsim {sim.__version__}")
    pdf_path = out / "briefing.pdf"
    with style(lang), PdfPages(pdf_path) as pdf:
        _save(pdf, _text_page(w["title"].format(base=bname), first, lang))
        for key, fig, cap in pages:
            png = out / f"{key}.png"
            fig.savefig(png)
            plt.close(fig)
            _save(pdf, _caption_page(png, w["captions"][cap].format(base=bname), lang))
        _save(pdf, _text_page(w["assumptions"], assumptions, lang))
        _save(pdf, _text_page(w["provenance"], provenance, lang))
    plt.close("all")
    return pdf_path
