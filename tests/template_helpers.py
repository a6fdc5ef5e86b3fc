"""Helpers for template tests (and for ingest's tests): departments, LibreOffice conversion, PNG checks.

``converted_templates(tmp_dir)`` writes the 2025 default's templates and converts them with LibreOffice
headless, one ``soffice`` run per target format for all files at once; ingest's tests read the .xls and
.ods copies as returns "saved by a second client".
"""

from __future__ import annotations

import struct
import zlib
from decimal import Decimal
from pathlib import Path

from lo import convert

from perfsheet.model import Department, Indicator, Period, PlanPoint, Project, Section
from perfsheet.targets import parse_target

PERIOD = Period(2025, 6)
PLAN = (
    PlanPoint(3, Decimal(25)),
    PlanPoint(6, Decimal(50)),
    PlanPoint(10, Decimal(75)),
    PlanPoint(12, Decimal(100)),
)


def _indicators(rows: list[tuple[str, str, str, str]]) -> tuple[Indicator, ...]:
    return tuple(
        Indicator(n, l1, l2, name, name, parse_target(raw), "经验标准")
        for n, (l1, l2, name, raw) in enumerate(rows, start=1)
    )


def sample_department() -> Department:
    """A small hand-built department: two projects from the 2025 goals document plus a long one."""
    correction = Project(
        code="13020225P008925100021",
        name="2025年省级社区矫正专项补助资金",
        budget=Decimal("3.47"),
        fiscal=Decimal("3.47"),
        other=Decimal(0),
        purpose="保障我区社区矫正工作顺利开展",
        goal="1.用于保障我区社区矫正工作顺利开展",
        plan=PLAN,
        section="社区矫正管理科",
        indicators=_indicators(
            [
                ("产出指标", "数量指标", "社区矫正对象接收率", "100%"),
                ("产出指标", "质量指标", "托管比例", "≤0.5%"),
                ("产出指标", "时效指标", "接收社区矫正平均时间", "≤10天"),
                ("产出指标", "成本指标", "每个社区矫正人员教育帮扶平均费用", "≤127.5元"),
                ("效益指标", "社会效益指标", "社区矫正对象再犯罪率", "≤0.2%"),
                ("效益指标", "社会效益指标", "化解社会矛盾", "化解社会矛盾"),
                ("满意度指标", "服务对象满意度指标", "普法宣传对象满意度", "≥95%"),
            ]
        ),
    )
    review = Project(
        code="13020225P00815610002E",
        name="2025年行政复议专项工作经费",
        budget=Decimal("5.00"),
        fiscal=Decimal("5.00"),
        other=Decimal(0),
        purpose="用于保障本级行政复议工作正常开展",
        goal="1.保障我区行政复议工作开展",
        plan=PLAN,
        section="执法监督和复议应诉科",
        indicators=_indicators(
            [
                ("产出指标", "数量指标", "行政机关主要负责人出庭应诉率", "≥100%"),
                ("产出指标", "质量指标", "审结复议数量", "≥10件"),
                ("产出指标", "时效指标", "复议案件结案及时率", "≥100%"),
                ("产出指标", "成本指标", "项目预算控制数", "≤5万元"),
                ("效益指标", "社会效益指标", "化解社会矛盾", "化解社会矛盾"),
                ("效益指标", "社会效益指标", "减少行政诉讼案件诉累", "减少行政诉讼案件诉累"),
                ("满意度指标", "服务对象满意度指标", "服务对象投诉率", "≤0.05%"),
                ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%"),
                ("满意度指标", "服务对象满意度指标", "普法宣传对象满意度", "≥95%"),
            ]
        ),
    )
    long_rows = [
        (
            "产出指标",
            "数量指标",
            f"开展“法律进社区、进乡村、进学校、进企业”普法宣传活动场次第{i}项",
            f"≥{10 + i}场",
        )
        for i in range(1, 9)
    ]
    long_rows += [
        ("产出指标", "质量指标", "人民调解案件调解成功率（含诉前委派、行政机关委托调解案件）", "≥95%"),
        (
            "效益指标",
            "社会效益指标",
            "较少行政执法过程中的争议，提升全区依法行政水平和群众法治意识",
            "较少行政执法过程中的争议",
        ),
        ("效益指标", "可持续影响指标", "法治宣传教育长效机制建设", "持续发挥作用"),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%"),
        ("成本指标", "经济成本指标", "宣传品印制单价", "≤2.5元"),
        ("产出指标", "数量指标", "发放宣传品", "≥5万册"),
    ]
    long_project = Project(
        code="13020225P00815510002Q",
        name="2025年依法治区专项经费",
        budget=Decimal("30.5"),
        fiscal=Decimal("30.5"),
        other=Decimal(0),
        purpose="用于全区法治宣传教育、依法治区工作推进、法治政府建设示范创建、法律顾问和合法性审查等工作，"
        "保障各项任务按期完成" * 2,
        goal="1.开展法治宣传教育活动不少于30场；2.发放各类宣传品不少于5万册；3.提供法律咨询不少于150次；"
        "4.群众满意率不低于95%；5.推进依法治区各项任务落实，提升全区法治化水平。" * 2,
        plan=PLAN,
        section="法治政研督查和宣教科（秘书科）",
        indicators=_indicators(long_rows),
    )
    return Department(
        name="路南区司法局",
        year=2025,
        sections=(
            Section("社区矫正管理科", chief="陈刚", email="jiaozheng@lunan-sfj.example"),
            Section("执法监督和复议应诉科", chief="赵磊", email="fuyi@lunan-sfj.example"),
            Section("法治政研督查和宣教科（秘书科）", chief="李静", email="fazhi@lunan-sfj.example"),
        ),
        projects=(correction, review, long_project),
    )


def default_department() -> Department:
    """The embedded 2025 default (9 projects) when the registry ships it, else the sample above."""
    try:
        from perfsheet.goals.registry import load_default

        return load_default()
    except (ImportError, FileNotFoundError):
        return sample_department()


# --------------------------------------------------------------------------------------------------
# LibreOffice
# --------------------------------------------------------------------------------------------------


def converted_templates(
    tmp_dir: Path, *, period: Period = PERIOD, formats: tuple[str, ...] = ("ods", "xls")
) -> dict[str, list[Path]]:
    """Write the default department's templates into ``tmp_dir/xlsx`` and convert them.

    Returns ``{"xlsx": [...], "ods": [...], "xls": [...]}`` (same order in every list).
    """
    from perfsheet.template.build import write_templates

    sources = write_templates(default_department(), period, tmp_dir / "xlsx")
    result = {"xlsx": sources}
    for fmt in formats:
        result[fmt] = convert(sources, fmt, tmp_dir / fmt)
    return result


# --------------------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------------------


def png_dark_fraction(png: bytes, threshold: int = 200) -> float:
    """Fraction of pixels darker than ``threshold`` in an 8-bit grey or RGB(A) PNG (no Pillow needed)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    width = height = depth = colour = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if depth != 8 or colour not in (0, 2, 6):
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
    channels = {0: 1, 2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    dark = 0
    for y in range(height):
        start = y * (stride + 1)
        filt, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = prev[i]
            upleft = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filt == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filt == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filt == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else upleft)
                line[i] = (line[i] + pred) & 0xFF
        for x in range(width):
            if line[x * channels] < threshold:
                dark += 1
        prev = line
    return dark / (width * height)
