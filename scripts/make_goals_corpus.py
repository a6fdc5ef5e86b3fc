"""Build tests/data/goals/: goals documents in the layouts other departments publish, with our own values.

Each case re-creates the structure of a published 项目支出绩效目标表 (its titles, label rows, merged
cells, column sets, units and file type) and fills it with invented projects and indicators; no text
of the published documents is copied. The layouts were read from public pages (found with the search
tool's pages corpus; the first ones below name the page they follow):

* hunan-town-2021.docx — 湖南 宁乡市 a town's 项目绩效目标表（2021年度）: 填报单位（盖章）, 资金总额及构成
  with amounts and 万元 in the cells, 长期目标/年度目标 side by side, 长期绩效指标 and 年度绩效指标 blocks
  with 指标内容 instead of 三级指标 (renrendoc.com/paper/307484460.html);
* shaanxi-county-2019.xls — 陕西 佳县 财政支出项目绩效目标申报表 "( 2019 年度)": 项目资金申请（万元） with
  资金总额：/财政拨款：/自有资金： label cells, the same two indicator blocks, a 填报说明 sheet
  (docx.baby/p/20793843881926.html), saved as .xls by LibreOffice;
* guangxi-water-2021.html — 广西 财政支出绩效目标申报表 saved by Excel as a web page (sheet001.htm):
  rowspan/colspan, 项目资金申请 in 元 with thousands separators, 分值 and 评分细则 columns, a 合计 row
  (gxglmes.com/templets/default/2021yusuan/sqb.files/sheet001.htm);
* sichuan-court-2023.xlsx — 四川: every project of a unit in one flat table, 项目名称 / 项目资金 / 年度目标
  merged down their rows, 指标性质 holding the operator, 度量单位 and 权重 columns;
* shandong-education-2024.xlsx — 山东: a two-row header (计算符号 | 指标值 | 度量单位 under a merged 指标值),
  当年资金总额 / 其中：财政拨款 / 上年结转, a deadline written as an Excel date serial, 人/次 and 万元/人
  units, ±3%以内, one project per sheet;
* henan-health-2022.md — 河南: pipe tables, one numbered title over three projects that start at their
  项目名称 rows, amounts with 万元 in the cell, 指标方向 (正向/反向) with bare numbers, 绩效标准 for the
  basis, the plan written "3月底30%";
* zhejiang-transport-2020.txt — 浙江: space-separated lines as a PDF-to-text export gives them, merged
  leading cells left out of a row, quarters for the plan, "2279.048 万元";
* guangdong-court-2019.docx — 广东: the tables pasted into Word as text, one cell per paragraph (merged
  cells written once), amounts in 元 with separators, "( 2019 年度)", 评（计）分标准;
* hubei-justice-2024.docx — 湖北: 项目支出绩效目标批复表, 中期指标值 beside 年度指标值, 主管部门及代码
  "[105001]…", 评（计）分标准, empty placeholder rows.

Run ``python scripts/make_goals_corpus.py`` to rebuild (the .xls needs LibreOffice); the tests read
the committed files and hold the counts a person reads off each page.
"""

from __future__ import annotations

import datetime as dt
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docx
import xlsxwriter

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests" / "data" / "goals"

Spec = list[list[object]]  # a row: "text", ("text", colspan) or "^" (merged with the cell above)


def layout(rows: Spec) -> tuple[int, dict[tuple[int, int], tuple[str, tuple[int, int]]]]:
    """Grid positions of a spec: (width, {(row, col): (text, origin)})."""
    grid: dict[tuple[int, int], tuple[str, tuple[int, int]]] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for item in row:
            if item == "^":
                text, origin = grid[(r - 1, c)]
                span = 1
                while (r - 1, c + span) in grid and grid[(r - 1, c + span)][1] == origin:
                    span += 1
                for k in range(span):
                    grid[(r, c + k)] = (text, origin)
                c += span
                continue
            text, span = (item if isinstance(item, tuple) else (str(item), 1))
            for k in range(span):
                grid[(r, c + k)] = (str(text), (r, c))
            c += span
        width = max(width, c)
    return width, grid


def merges(rows: Spec) -> tuple[int, list[tuple[int, int, int, int, str]]]:
    """(width, [(r0, c0, r1, c1, text)]) with single cells as 1×1 areas."""
    width, grid = layout(rows)
    areas: dict[tuple[int, int], list[int]] = {}
    for (r, c), (_text, origin) in grid.items():
        area = areas.setdefault(origin, [r, c, r, c])
        area[2], area[3] = max(area[2], r), max(area[3], c)
    return width, [(a[0], a[1], a[2], a[3], grid[o][0]) for o, a in sorted(areas.items())]


def write_docx(path: Path, parts: list[object]) -> None:
    """Paragraphs (str) and tables (Spec) in order, merges as Word merges."""
    document = docx.Document()
    document.core_properties.created = dt.datetime(2024, 1, 1)
    for part in parts:
        if isinstance(part, str):
            document.add_paragraph(part)
            continue
        assert isinstance(part, list)
        width, areas = merges(part)
        table = document.add_table(rows=len(part), cols=width)
        table.style = "Table Grid"
        for r0, c0, r1, c1, text in areas:
            cell = table.cell(r0, c0)
            if (r1, c1) != (r0, c0):
                cell = cell.merge(table.cell(r1, c1))
            cell.text = text
    document.save(str(path))


def write_sheet(wb: xlsxwriter.Workbook, name: str, rows: Spec, numbers: bool = True) -> None:
    sheet = wb.add_worksheet(name)
    wrap = wb.add_format({"text_wrap": True, "border": 1, "valign": "vcenter"})
    _, areas = merges(rows)
    for r0, c0, r1, c1, text in areas:
        value: object = text
        if numbers and text.replace(".", "", 1).isdigit() and len(text) <= 12:  # codes stay text
            value = float(text) if "." in text else int(text)
        if (r1, c1) != (r0, c0):
            sheet.merge_range(r0, c0, r1, c1, "", wrap)
        if isinstance(value, str):
            sheet.write_string(r0, c0, value, wrap)
        else:
            sheet.write_number(r0, c0, value, wrap)  # type: ignore[arg-type]
    sheet.set_column(0, 12, 14)


def write_xlsx(path: Path, sheets: list[tuple[str, Spec]]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"created": dt.datetime(2024, 1, 1)})
    for name, rows in sheets:
        write_sheet(wb, name, rows)
    wb.close()


def html_table(rows: Spec) -> str:
    width, areas = merges(rows)
    by_row: dict[int, list[tuple[int, int, int, int, str]]] = {}
    for area in areas:
        by_row.setdefault(area[0], []).append(area)
    out = ['<table border="0" cellpadding="0" cellspacing="0" width="900" style="border-collapse:collapse">']
    for r in range(len(rows)):
        out.append(' <tr height="24">')
        for r0, c0, r1, c1, text in sorted(by_row.get(r, []), key=lambda a: a[1]):
            attrs = ""
            if r1 > r0:
                attrs += f' rowspan="{r1 - r0 + 1}"'
            if c1 > c0:
                attrs += f' colspan="{c1 - c0 + 1}"'
            body = html.escape(text).replace("\n", "<br>") or "&nbsp;"
            out.append(f'  <td class="xl65"{attrs}>{body}</td>')
        out.append(" </tr>")
    out.append("</table>")
    del width
    return "\n".join(out)


# --- the cases ------------------------------------------------------------------------------------


def hunan_town() -> None:
    def project(name: str, total: str, fiscal: str, other: str, overview: str, long_goal: str, goal: str,
                long_rows: Spec, rows: Spec) -> list[object]:
        table: Spec = [
            ["项目名称", (name, 2), "项目属性", ("延续项目", 2)],
            ["主管部门", ("青山镇人民政府", 2), "主管部门编码", ("430124301", 2)],
            ["项目单位", ("青山镇人民政府", 2), "项目负责人", ("刘卫东", 2)],
            ["资金总额及构成", (f"总额 {total}万元", 2), (f"财政拨款：{fiscal}万元", 2), f"其他：{other}万元"],
            ["项目概况", (overview, 5)],
            ["项目绩效目标", ("长期目标", 2), ("年度目标", 3)],
            ["^", (long_goal, 2), (goal, 3)],
            ["长期绩效指标", "一级指标", "二级指标", "指标内容", "指标值", "备注"],
            *long_rows,
            ["年度绩效指标", "一级指标", "二级指标", "指标内容", "指标值", "备注"],
            *rows,
        ]
        return ["项目绩效目标表", "（2021年度）", "填报单位（盖章）：宁乡市青山镇人民政府", table, "填报人：周敏    联系电话：0731-8800000"]

    first = project(
        "集镇基础设施提质改造", "860.5", "560.5", "300", "集镇主街道立面、排水和照明改造",
        "建成功能完善的集镇", "完成主街道立面改造和排水管网建设",
        [["^", "产出指标", "数量指标", "改造道路里程", "≥12公里", ""], ["^", "^", "质量指标", "工程合格率", "100%", ""],
         ["^", "效益指标", "社会效益指标", "群众生活条件", "明显改善", ""]],
        [["^", "产出指标", "数量指标", "完成立面改造面积", "≥3.5万平方米", ""],
         ["^", "^", "质量指标", "工程验收合格率", "100%", ""],
         ["^", "^", "时效指标", "完成时间", "2021年12月31日前", ""],
         ["^", "^", "成本指标", "改造成本", "≤160元/平方米", ""],
         ["^", "^", "…", "……", "", ""],
         ["^", "效益指标", "社会效益指标", "群众出行条件", "明显改善", ""],
         ["^", "^", "可持续影响指标", "设施使用年限", "≥10年", ""],
         ["^", "满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", ""]],
    )
    second = project(
        "村级公益事业建设补助", "120", "120", "0", "村级道路、水利等公益设施建设补助",
        "村级公益设施完善", "补助8个村完成公益设施建设",
        [["^", "产出指标", "数量指标", "补助村数", "≥30个", ""]],
        [["^", "产出指标", "数量指标", "补助村数", "8个", ""],
         ["^", "^", "质量指标", "项目验收合格率", "100%", ""],
         ["^", "效益指标", "社会效益指标", "村民受益户数", "≥2000户", ""],
         ["^", "^", "可持续影响指标", "长效管护机制", "建立", ""],
         ["^", "满意度指标", "服务对象满意度指标", "村民满意度", "≥90%", ""]],
    )
    write_docx(OUT / "hunan-town-2021.docx", [*first, "", *second])


def shaanxi_county(tmp: Path) -> None:
    rows: Spec = [
        [("财政支出项目绩效目标申报表", 7)],
        [("( 2019 年度)", 7)],
        [("填报单位（盖章）：佳县农业农村局", 7)],
        ["项目名称", ("农村人居环境整治", 3), "项目属性", ("新增项目", 2)],
        ["主管部门", ("佳县农业农村局", 3), "主管部门编码", ("612722", 2)],
        ["项目实施单位", ("佳县农业农村局", 3), "项目负责人", ("高建军", 2)],
        ["项目资金申请（万元）", "资金总额：", "85", "财政拨款：", "80", "自有资金：", "5"],
        ["项目概况", ("改善全县农村人居环境，开展垃圾清运和户厕改造", 6)],
        ["项目绩效目标", ("长期目标", 3), ("年度目标", 3)],
        ["^", ("农村人居环境明显改善", 3), ("完成300户户厕改造，垃圾日产日清", 3)],
        ["长期绩效指标", "一级指标", "二级指标", ("指标内容", 2), "指标值", "备注"],
        ["^", "产出指标", "数量指标", ("户厕改造累计户数", 2), "≥1500户", ""],
        ["^", "效益指标", "社会效益指标", ("村容村貌", 2), "持续改善", ""],
        ["年度绩效指标", "一级指标", "二级指标", ("指标内容", 2), "指标值", "备注"],
        ["^", "产出指标", "数量指标", ("户厕改造户数", 2), "≥300户", ""],
        ["^", "^", "^", ("垃圾清运量", 2), "≥1200吨", ""],
        ["^", "^", "时效指标", ("完成时间", 2), "2019年11月底前", ""],
        ["^", "效益指标", "社会效益指标", ("培训农户", 2), "≥500人次", ""],
        ["^", "^", "生态效益指标", ("村容村貌", 2), "明显改善", ""],
        ["^", "满意度指标", "服务对象满意度指标", ("农户满意度", 2), "≥90%", ""],
        ["其他说明的问题", ("无", 6)],
        [("填报人：冯丽    单位负责人：高建军    填报日期：2018年11月20日", 7)],
    ]
    notes: Spec = [["财政支出项目绩效目标申报表填报说明"], ["一、年度：填写编制部门预算所属年份。"], ["二、项目名称：按规范的项目名称填报。"]]
    source = tmp / "shaanxi-county-2019.xlsx"
    write_xlsx(source, [("申报表", rows), ("填报说明", notes)])
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("LibreOffice is needed for the .xls case; keeping the committed file", file=sys.stderr)
        return
    profile = tmp / "profile"
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--convert-to", "xls",
         "--outdir", str(tmp), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    shutil.copyfile(tmp / "shaanxi-county-2019.xls", OUT / "shaanxi-county-2019.xls")


def guangxi_water() -> None:
    rows: Spec = [
        [("财政支出绩效目标申报表", 7)],
        [("(2021年度)", 7)],
        [("填报单位：兴宁区水利局", 7)],
        ["项目名称", ("小型水库维修养护", 2), "项目类型", ("经常性项目", 3)],
        ["主管部门编码", "450102", "主管部门名称", ("兴宁区水利局", 4)],
        ["项目实施单位", ("兴宁区水利局", 2), "项目负责人", ("韦志强", 3)],
        ["项目资金申请（元）", "资金总额：", ("3,309,840.00", 5)],
        ["^", "一般公共预算拨款：", ("2,809,840.00", 5)],
        ["^", "上年结余收入：", ("500,000.00", 5)],
        ["项目概况(450字内)", ("对辖区内12座小型水库开展日常维修养护", 6)],
        ["项目绩效目标", ("长期目标(450字内)", 3), ("年度目标(450字内)", 3)],
        ["^", ("水库安全运行", 3), ("完成12座水库维修养护，汛期无安全事故", 3)],
        ["项目年度绩效目标衡量指标", "一级指标", "二级指标", "分值", "指标内容(150字内)", "指标值(150字内)", "评分细则(150字内)"],
        ["^", "产出指标", "数量指标", "20", "维修养护水库座数", "12座", "每少1座扣2分"],
        ["^", "^", "质量指标", "20", "维修工程验收合格率", "100%", "每低1个百分点扣1分"],
        ["^", "^", "时效指标", "10", "汛前完成维修", "2021年5月31日前", "未按时完成不得分"],
        ["^", "^", "成本指标", "10", "单座水库养护成本", "≤27.6万元", "超出不得分"],
        ["^", "效益指标", "社会效益指标", "15", "受益人口", "≥3.2万人", "按比例得分"],
        ["^", "^", "生态效益指标", "5", "水库水质达标率", "≥95%", "按比例得分"],
        ["^", "^", "可持续影响指标", "10", "水库安全运行年限", "≥5年", "酌情扣分"],
        ["^", "满意度指标", "服务对象满意度指标", "10", "受益群众满意度", "≥90%", "按比例得分"],
        ["^", "合计", "", "100", "", "", ""],
    ]
    page = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">\n'
        '<head><meta http-equiv=Content-Type content="text/html; charset=utf-8">\n'
        '<meta name=ProgId content=Excel.Sheet><style>td {border:.5pt solid windowtext}</style></head>\n'
        f'<body link=blue vlink=purple>\n{html_table(rows)}\n</body></html>\n'
    )
    (OUT / "guangxi-water-2021.html").write_text(page, encoding="utf-8")


def sichuan_court() -> None:
    header = ["项目名称", "项目资金（万元）", "年度目标", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "权重"]
    rows: Spec = [
        [("青川县人民法院2023年项目支出绩效目标表", 10)],
        [("单位：万元", 10)],
        header,
        ["审判执行业务经费", "120", "保障全年审判执行工作正常开展", "产出指标", "数量指标", "审结案件数", "≥", "3800", "件", "20"],
        ["^", "^", "^", "^", "质量指标", "结案率", "≥", "92", "%", "20"],
        ["^", "^", "^", "^", "时效指标", "审限内结案率", "≥", "98", "%", "20"],
        ["^", "^", "^", "效益指标", "社会效益指标", "司法公信力", "定性", "稳步提升", "", "20"],
        ["^", "^", "^", "满意度指标", "服务对象满意度指标", "当事人满意度", "≥", "90", "%", "20"],
        ["诉讼服务中心运行", "45.6", "提供一站式诉讼服务", "产出指标", "数量指标", "接待来访群众", "≥", "6000", "人次", "25"],
        ["^", "^", "^", "^", "时效指标", "网上立案审核时间", "≤", "1", "天", "25"],
        ["^", "^", "^", "成本指标", "经济成本指标", "运行维护费用", "≤", "45.6", "万元", "25"],
        ["^", "^", "^", "满意度指标", "服务对象满意度指标", "群众满意度", "≥", "95", "%", "25"],
        ["法庭信息化运维", "30", "保障科技法庭稳定运行", "产出指标", "数量指标", "运维科技法庭数", "＝", "14", "个", "40"],
        ["^", "^", "^", "^", "质量指标", "系统故障率", "≤", "1", "%", "30"],
        ["^", "^", "^", "效益指标", "社会效益指标", "庭审直播率", "≥", "80", "%", "30"],
    ]
    write_xlsx(OUT / "sichuan-court-2023.xlsx", [("项目支出绩效目标", rows)])


def shandong_education() -> None:
    def sheet(name: str, code: str, total: str, fiscal: str, carried: str, goal: str, indicators: Spec) -> Spec:
        return [
            [("2024年度项目支出绩效目标表", 8)],
            [("单位名称：临朐县教育和体育局", 5), ("单位：万元", 3)],
            ["项目名称", (name, 3), "项目编码", (code, 3)],
            ["当年资金总额", total, "其中：财政拨款", fiscal, "上年结转", carried, ("", 2)],
            ["年度绩效目标", (goal, 7)],
            ["一级指标", "二级指标", "三级指标", ("指标值", 3), "权重", "备注"],
            ["^", "^", "^", "计算符号", "指标值", "度量单位", "^", "^"],
            *indicators,
        ]

    first = sheet(
        "义务教育学校公用经费", "370724240000000123", "268.5", "248.5", "20", "保障全县义务教育学校正常运转",
        [
            ["产出指标", "数量指标", "保障学校数", "=", "46", "所", "15", ""],
            ["^", "^", "培训教师", "≥", "1200", "人/次", "10", ""],
            ["^", "质量指标", "预算执行偏差", "", "±3%以内", "%", "10", ""],
            ["^", "时效指标", "资金拨付完成时限", "≤", "45657", "", "10", "年底前"],
            ["^", "成本指标", "生均补助标准", "=", "0.12", "万元/人", "15", ""],
            ["效益指标", "社会效益指标", "学校正常运转", "定性", "保障", "", "15", ""],
            ["^", "可持续影响指标", "办学条件", "定性", "持续改善", "", "10", ""],
            ["满意度指标", "服务对象满意度指标", "家长满意度", "≥", "95", "%", "15", ""],
        ],
    )
    second = sheet(
        "学生资助补助资金", "370724240000000456", "50", "50", "0", "资助家庭经济困难学生",
        [
            ["产出指标", "数量指标", "资助学生人数", "≥", "800", "人", "20", ""],
            ["^", "质量指标", "资助对象认定准确率", "=", "100", "%", "20", ""],
            ["^", "时效指标", "资金发放及时率", "=", "100", "%", "20", ""],
            ["效益指标", "社会效益指标", "因贫辍学学生数", "=", "0", "人", "20", ""],
            ["满意度指标", "服务对象满意度指标", "受助学生满意度", "≥", "95", "%", "20", ""],
        ],
    )
    write_xlsx(OUT / "shandong-education-2024.xlsx", [("公用经费", first), ("学生资助", second)])


def henan_health() -> None:
    def project(name: str, code: str, total: str, fiscal: str, other: str, plan: list[str], goal: str,
                indicators: list[list[str]]) -> list[str]:
        width = 6
        rows = [
            ["项目名称", name, "项目编码", code],
            ["资金总额", total, "财政拨款", fiscal, "其他资金", other],
            ["资金支出计划", *plan],
            ["年度目标", goal],
            ["一级指标", "二级指标", "三级指标", "指标方向", "指标值", "绩效标准"],
            *indicators,
        ]
        return ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" + "|" * (width - len(row)) for row in rows]

    lines = [
        "# 金水区卫生健康委员会2022年度部门预算项目绩效目标",
        "",
        "部门名称：金水区卫生健康委员会",
        "",
        "## 一、2022年度项目支出绩效目标表",
        "",
        "|   |   |   |   |   |   |",
        "| --- | --- | --- | --- | --- | --- |",
        *project(
            "基本公共卫生服务", "41010522000001", "10000万元", "9600万元", "400万元",
            ["3月底30%", "6月底60%", "9月底80%", "12月底100%"], "为辖区居民免费提供基本公共卫生服务",
            [
                ["产出指标", "数量指标", "居民电子健康档案建档率", "正向", "90%", "计划标准"],
                ["", "", "老年人健康管理人数", "正向", "≥3.2万人", "历史标准"],
                ["", "质量指标", "高血压患者规范管理率", "正向", "65%", "行业标准"],
                ["", "时效指标", "资金拨付及时率", "正向", "100%", "计划标准"],
                ["效益指标", "社会效益指标", "传染病报告漏报率", "反向", "5%", "行业标准"],
                ["满意度指标", "服务对象满意度指标", "居民满意度", "正向", "≥85%", "计划标准"],
            ],
        ),
        *project(
            "家庭医生签约服务", "41010522000002", "1500.5万元", "1500.5万元", "0", ["6月底50%", "12月底100%"],
            "重点人群家庭医生签约全覆盖",
            [
                ["产出指标", "数量指标", "重点人群签约率", "正向", "75%", "计划标准"],
                ["", "质量指标", "签约居民续约率", "正向", "≥70%", "历史标准"],
                ["", "成本指标", "签约服务补助标准", "反向", "40元/人", "计划标准"],
                ["效益指标", "社会效益指标", "签约居民就诊率", "正向", "60%", "行业标准"],
                ["满意度指标", "服务对象满意度指标", "签约居民满意度", "正向", "90%", "计划标准"],
            ],
        ),
        *project(
            "卫生监督执法", "41010522000003", "80万元", "80万元", "0", ["3月底25%", "6月底50%", "9月底75%", "12月底100%"],
            "依法开展公共场所和医疗机构监督检查",
            [
                ["产出指标", "数量指标", "监督检查单位数", "正向", "≥1200家", "计划标准"],
                ["", "质量指标", "案件查处率", "正向", "100%", "行业标准"],
                ["效益指标", "社会效益指标", "群众投诉办结率", "正向", "100%", "计划标准"],
                ["满意度指标", "服务对象满意度指标", "被监督单位满意度", "正向", "90%", "计划标准"],
            ],
        ),
        "",
    ]
    (OUT / "henan-health-2022.md").write_text("\n".join(lines), encoding="utf-8")


def zhejiang_transport() -> None:
    text = """平阳县交通运输局2020年度项目支出绩效目标
单位名称：平阳县交通运输局
（2020年度）

1. 农村公路养护工程绩效目标表
项目名称    农村公路养护工程    项目编码    330326200001
资金总额    2279.048 万元    财政资金    2000 万元    其他资金    279.048 万元
资金支出计划    一季度    二季度    三季度    四季度
                20%    50%    75%    100%
年度目标    完成全县农村公路日常养护和大中修工程
一级指标    二级指标    三级指标    指标值    指标值确定依据
产出指标    数量指标    养护里程    ≥320公里    计划标准
质量指标    路面优良率    ≥85%    行业标准
时效指标    大中修完工时间    2020年10月底前    计划标准
成本指标    每公里养护成本    ≤7.1万元/公里    历史标准
效益指标    社会效益指标    农村公路通畅率    100%    行业标准
可持续影响指标    养护长效机制    健全    计划标准
满意度指标    服务对象满意度指标    沿线群众满意度    ≥90%    计划标准

2. 客运站运营补助绩效目标表
项目名称    客运站运营补助    项目编码    330326200002
资金总额    356 万元    财政资金    356 万元    其他资金    0 万元
一级指标    二级指标    三级指标    指标值    指标值确定依据
产出指标    数量指标    补助客运站数    6个    计划标准
质量指标    安全事故次数    0次    行业标准
效益指标    社会效益指标    城乡客运班线通达率    ≥98%    历史标准
满意度指标    服务对象满意度指标    旅客满意度    ≥90%    计划标准

注：本表金额单位为万元。
"""
    (OUT / "zhejiang-transport-2020.txt").write_text(text, encoding="utf-8")


def hubei_justice() -> None:
    def table(name: str, code: str, total: str, fiscal: str, other: str, goal: str, rows: Spec) -> Spec:
        return [
            ["项目名称", (name, 3), "项目编码", (code, 2)],
            ["主管部门及代码", ("[105001]武汉市洪山区司法局", 3), "实施单位", ("武汉市洪山区司法局", 2)],
            ["项目资金（万元）", "年度资金总额", total, "其中：财政拨款", fiscal, "其他资金", other],
            ["年度绩效目标", (goal, 6)],
            ["一级指标", "二级指标", "三级指标", "中期指标值", "年度指标值", "评（计）分标准", "备注"],
            *rows,
        ]

    first = table(
        "社区矫正监管经费", "42011524B0003", "38.6", "38.6", "", "落实社区矫正对象监督管理和教育帮扶",
        [
            ["产出指标", "数量指标", "社区矫正对象核查", "≥95%", "≥90%", "按比例计分", ""],
            ["^", "^", "教育帮扶活动", "≥100场", "≥24场", "按比例计分", ""],
            ["^", "质量指标", "矫正对象再犯罪率", "≤0.2%", "≤0.2%", "超出不得分", ""],
            ["^", "时效指标", "入矫报到及时率", "100%", "100%", "按比例计分", ""],
            ["^", "成本指标", "", "", "", "", ""],
            ["效益指标", "社会效益指标", "社会稳定", "持续稳定", "社会和谐稳定", "酌情计分", ""],
            ["^", "可持续影响指标", "", "", "", "", ""],
            ["满意度指标", "服务对象满意度指标", "群众满意度", "≥95%", "≥90%", "按比例计分", ""],
            ["^", "^", "矫正对象家属满意度", "≥95%", "≥90%", "按比例计分", ""],
        ],
    )
    second = table(
        "人民调解员补贴", "42011524B0004", "12", "10", "2", "保障人民调解员补贴按时发放",
        [
            ["产出指标", "数量指标", "补贴人民调解员", "≥180人", "≥150人", "按比例计分", ""],
            ["效益指标", "社会效益指标", "矛盾纠纷调解成功率", "≥96%", "≥95%", "按比例计分", ""],
            ["满意度指标", "服务对象满意度指标", "当事人满意度", "≥95%", "≥90%", "按比例计分", ""],
        ],
    )
    write_docx(
        OUT / "hubei-justice-2024.docx",
        ["项目支出绩效目标批复表", "（2024年度）", first, "", "项目支出绩效目标批复表", "（2024年度）", second],
    )


def guangdong_court() -> None:
    def project(name: str, total: str, fiscal: str, goal: str, cells: list[str]) -> list[str]:
        return [
            "项目名称", name, "资金总额（元）", total, "财政拨款（元）", fiscal, "年度目标", goal,
            "一级指标", "二级指标", "三级指标", "指标值", "评（计）分标准", *cells,
        ]

    paragraphs = [
        "项目支出绩效目标表",
        "( 2019 年度)",
        "单位名称：广州市越秀区人民法院",
        *project("执行案款管理系统运维", "250,000.00", "250,000.00", "保障执行案款系统全年稳定运行", [
            "产出指标", "数量指标", "运维系统数", "1套", "按完成情况计分",
            "质量指标", "系统可用率", "≥99%", "按比例计分",
            "时效指标", "故障响应时间", "≤2小时", "超时扣分",
            "效益指标", "社会效益指标", "案款发放及时率", "≥95%", "按比例计分",
            "满意度指标", "服务对象满意度指标", "当事人满意度", "≥90%", "按比例计分",
        ]),
        "",
        *project("人民陪审员经费", "1,326,500.00", "1,200,000.00", "保障人民陪审员依法参审", [
            "产出指标", "数量指标", "参审案件数", "≥1500件", "按比例计分",
            "陪审员培训人次", "≥300人次", "按比例计分",
            "成本指标", "经济成本指标", "人均补助", "≤4000元/人", "超出不得分",
            "满意度指标", "服务对象满意度指标", "陪审员满意度", "≥90%", "按比例计分",
        ]),
    ]
    write_docx(OUT / "guangdong-court-2019.docx", paragraphs)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    hunan_town()
    with tempfile.TemporaryDirectory() as tmp:
        shaanxi_county(Path(tmp))
    guangxi_water()
    sichuan_court()
    shandong_education()
    henan_health()
    zhejiang_transport()
    hubei_justice()
    guangdong_court()
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


if __name__ == "__main__":
    main()
