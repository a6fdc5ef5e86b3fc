"""The workspace: the folder where a month's work lives (DESIGN.md §4).

``perfsheet.yaml`` (department, year, roster, thresholds, deadline) · ``goals/<year>.yaml`` ·
``outbox/<period>/`` · ``archive/`` (raw files by sha256, never changed) · ``inbox/<period>/`` ·
``feedback/<period>/`` · ``reports/<period>/`` · ``ledger.sqlite``.
Every stage gets its paths from here, and nothing is written outside :attr:`Workspace.root`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from perfsheet.errors import PerfsheetError, RegistryError
from perfsheet.fsutil import confined, safe_dir, write_text_atomic
from perfsheet.goals import registry, schema
from perfsheet.labels import DEFAULT_RECIPIENT, LIGHT_LABELS
from perfsheet.model import DEFAULT_DEADLINE_DAY, Department, Period, Submission
from perfsheet.rules import MonitoringRules, SelfEvalRules, Thresholds
from perfsheet.targets import format_value

if TYPE_CHECKING:  # the ledger (sqlite3), its status and mail names load with the first use
    from perfsheet.ledger.status import PeriodStatus
    from perfsheet.ledger.store import Ledger

__all__ = [
    "DEFAULT_WORKSPACE",
    "Config",
    "Workspace",
    "counting_submissions",
    "default_workspace",
    "init_workspace",
    "open_ledger",
    "period_status",
    "periods_with_returns",
    "resolve_department",
    "uses_workspace",
]

DEFAULT_WORKSPACE = Path("workbooks")

DEFAULT_GRACE_DAYS = 3
FEEDBACK_SUFFIX = "_%s_问题反馈.xlsx"  # after the return's own name; %s: the first 8 hex of its sha256
CONFIG_NAME = "perfsheet.yaml"


def default_workspace() -> Path:
    """The workspace of a command run without ``--workspace``: ./workbooks when it is one, else the
    current folder when it holds perfsheet.yaml (a clerk who has changed into the workspace), else
    ./workbooks (where ``init`` puts one, and what the message names)."""
    if not (DEFAULT_WORKSPACE / CONFIG_NAME).is_file() and Path(CONFIG_NAME).is_file():
        return Path(".")
    return DEFAULT_WORKSPACE


def uses_workspace(goals_path: Path | None, workspace_dir: Path | None) -> bool:
    """Whether a command that can also run on a goals file works in a workspace: ``--workspace`` was
    given, or no ``--goals`` and the default workspace (:func:`default_workspace`) is one."""
    return workspace_dir is not None or (goals_path is None and (default_workspace() / CONFIG_NAME).is_file())


@dataclass(frozen=True, slots=True)
class Office:
    """Who sends the templates and answers questions (办公室)."""

    name: str = "办公室"
    contact: str = ""
    phone: str = ""
    email: str = ""

    @property
    def contact_line(self) -> str:
        """Whom to ask, e.g. ``办公室（王敏，电话 …，邮箱 …）``: the templates' 填表说明 and every mail."""
        details = "，".join(
            part
            for part in (self.contact, f"电话 {self.phone}" if self.phone else "", f"邮箱 {self.email}" if self.email else "")
            if part
        )
        return f"{self.name}（{details}）" if details else self.name


@dataclass(frozen=True, slots=True)
class Config:
    """The workspace configuration (``perfsheet.yaml``)."""

    department: str
    year: int
    goals: str  # path of the goals registry, relative to the workspace
    roster: registry.Roster
    thresholds: Thresholds = field(default_factory=Thresholds)
    deadline_day: int = DEFAULT_DEADLINE_DAY
    office: Office = field(default_factory=Office)
    grace_days: int = DEFAULT_GRACE_DAYS  # a reminder after the deadline asks for the return this many days on
    monitoring: MonitoringRules = field(default_factory=MonitoringRules)
    report_recipient: str = DEFAULT_RECIPIENT  # whom the 报送版 情况说明 is addressed to
    selfeval: SelfEvalRules = field(default_factory=SelfEvalRules)  # the year-end 自评's weights and bands
    # The office's own scores: project code → indicator n → (score, reason) (perfsheet.yaml selfeval.overrides)
    selfeval_overrides: Mapping[str, Mapping[int, tuple[Decimal, str]]] = field(default_factory=dict)

    def deadline(self, period: Period) -> dt.date:
        """The last day a return for ``period`` is on time: ``deadline_day`` of the following month."""
        return period.due_date(self.deadline_day)


def _parse_config(text: str, path: str) -> Config:
    """The config in ``text``, checked against :data:`perfsheet.goals.schema.CONFIG`; every problem of
    the file is raised together, each with its line."""
    problems = schema.Problems(path)
    data = registry._read_yaml(text, path, problems)
    if not isinstance(data, Mapping):
        raise RegistryError("配置文件内容应为一个映射（department、year、sections、projects …）", path, 1)
    schema.check(data, schema.CONFIG, problems, what="配置文件内容")
    roster = registry.build_roster(data, problems)
    problems.raise_if_any()
    # The schema has vouched for every value below: the conversions cannot fail.
    raw_thresholds: Mapping[str, Any] = data.get("thresholds") or {}
    office: Mapping[str, Any] = data.get("office") or {}
    year = schema.as_int(data["year"]) or 0

    def number(mapping: Mapping[str, Any], key: str, default: int) -> int:
        value = mapping.get(key)
        return default if value is None else schema.as_int(value) or 0

    def decimal(key: str, default: int) -> Decimal:
        value = raw_thresholds.get(key)
        return Decimal(default) if value is None else schema.as_decimal(value) or Decimal(0)

    return Config(
        department=_config_text(data.get("department")),
        year=year,
        goals=_config_text(data.get("goals")) or f"goals/{year}.yaml",
        roster=roster,
        thresholds=Thresholds(decimal("budget_red", 60), decimal("budget_yellow", 80)),
        deadline_day=number(data, "deadline_day", DEFAULT_DEADLINE_DAY),
        grace_days=number(data, "grace_days", DEFAULT_GRACE_DAYS),
        office=Office(**{k: _config_text(v) for k, v in office.items() if v is not None}),
        monitoring=_monitoring(data.get("monitoring") or {}),
        report_recipient=_config_text((data.get("report") or {}).get("recipient")) or DEFAULT_RECIPIENT,
        selfeval=_selfeval(data.get("selfeval") or {}, path, data),
        selfeval_overrides={
            str(code): {schema.as_int(n) or 0: (schema.as_decimal(item.get("score")) or Decimal(0),
                                                _config_text(item.get("reason")))
                        for n, item in by_n.items()}
            for code, by_n in ((data.get("selfeval") or {}).get("overrides") or {}).items()
        },
    )


def _selfeval(raw: Mapping[str, Any], path: str, data: Mapping[str, Any]) -> SelfEvalRules:
    """``selfeval:`` of perfsheet.yaml (types vouched for by the schema; the 定性 bands checked here)."""
    default = SelfEvalRules()
    weights = raw.get("weights")
    shares = raw.get("qualitative")
    grades = raw.get("grades")
    excess = raw.get("excess_percent")
    try:
        return SelfEvalRules(
            weights={str(k): schema.as_decimal(v) or Decimal(0) for k, v in weights.items()} if weights
            else default.weights,
            qualitative={**default.qualitative,
                         **{str(k): (schema.as_decimal(v, percent=True) or Decimal(0)) / 100
                            for k, v in (shares or {}).items()}},
            grades=tuple(sorted(((schema.as_decimal(v) or Decimal(0), str(k)) for k, v in grades.items()),
                                reverse=True)) if grades else default.grades,
            excess_percent=schema.as_decimal(excess, percent=True) or default.excess_percent if excess is not None
            else default.excess_percent,
        )
    except ValueError as error:
        raise RegistryError(f"selfeval 设置有误：{error}", path, schema.line_of(data, "selfeval") or 1) from None


def _monitoring(raw: Mapping[str, Any]) -> MonitoringRules:
    """``monitoring:`` of perfsheet.yaml (vouched for by the schema); a key left out keeps its default."""
    default = MonitoringRules()
    months = raw.get("indicator_months")
    categories = raw.get("deviation_categories")
    lights = raw.get("budget_explanation_lights")
    off = raw.get("indicator_off_percent")
    zero = raw.get("zero_spend_after_month")
    return MonitoringRules(
        indicator_months=(frozenset(schema.as_int(m) or 0 for m in months) if months is not None
                          else default.indicator_months),
        deviation_choices=(tuple(dict.fromkeys(str(c).strip() for c in categories)) if categories is not None
                           else default.deviation_choices),
        budget_explanation_lights=(frozenset(schema.LIGHT_BY_WORD[str(w).strip()] for w in lights)
                                   if lights is not None else default.budget_explanation_lights),
        indicator_off_percent=(schema.as_decimal(off, percent=True) or Decimal(0)) if off is not None
        else default.indicator_off_percent,
        zero_spend_after_month=schema.as_int(zero) or default.zero_spend_after_month if zero is not None
        else default.zero_spend_after_month,
    )


def _config_text(value: object) -> str:
    if value is None:
        return ""
    return format_value(value) if isinstance(value, Decimal) else str(value)


def default_config() -> Config:
    return _parse_config(registry.default_config_text(), f"perfsheet/data/{CONFIG_NAME}")


@dataclass(frozen=True)
class Workspace:
    """An opened workspace folder."""

    root: Path
    config: Config

    @classmethod
    def open(cls, directory: str | Path | None = None) -> Workspace:
        root = Path(directory) if directory is not None else default_workspace()
        config_path = root / CONFIG_NAME
        if not config_path.is_file():
            inner = root / DEFAULT_WORKSPACE.name / CONFIG_NAME
            if inner.is_file():  # `perfsheet demo --out DIR` makes DIR/workbooks the workspace
                raise PerfsheetError(f"{root} 不是 perfsheet 工作区（缺少 {CONFIG_NAME}），其中的 {inner.parent} 是工作区；"
                                     f"请改用 --workspace {inner.parent}")
            raise PerfsheetError(f"{root} 不是 perfsheet 工作区（缺少 {CONFIG_NAME}）；请先运行 perfsheet init {root}")
        text = registry.read_edited_text(config_path, "工作区配置文件")
        return cls(root.resolve(), _parse_config(text, str(config_path)))

    @cached_property
    def department(self) -> Department:
        goals_path = self.goals_path
        goals = registry.load_goals(goals_path)
        if goals.year != self.config.year:
            config_line = registry.key_line(self.config_path, "year")
            config_at = f"{self.config_path}:{config_line}" if config_line else str(self.config_path)
            raise RegistryError(
                f"目标文件的年度为 {goals.year} 年，与工作区配置 {config_at} 的 year（{self.config.year} 年）不一致；"
                f"请把两者改为同一年度，或在 {CONFIG_NAME} 的 goals 中指向 {self.config.year} 年的目标文件",
                goals_path,
                registry.key_line(goals_path, "year"),
            )
        unknown = registry.unknown_targets(goals, self.config.roster)
        if unknown:
            names = [t.name for t in goals.department_targets]
            close = difflib.get_close_matches(unknown[0], names, n=1, cutoff=0.5)
            hint = f"，是否应为“{close[0]}”" if close else ""
            raise RegistryError(
                f"overall_targets 中的“{'”“'.join(unknown)}”不是目标文件中的部门整体目标{hint}；"
                f"现有部门整体目标：{'、'.join(names) or '（无）'}",
                self.config_path,
                registry.key_line(self.config_path, "overall_targets"),
            )
        return registry.apply_roster(goals, self.config.roster)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def goals_path(self) -> Path:
        return confined(self.root, self.root / self.config.goals)

    @property
    def archive_dir(self) -> Path:
        return self.inside(self.root / "archive")

    @property
    def ledger_path(self) -> Path:
        return self.inside(self.root / "ledger.sqlite")

    def outbox(self, period: Period) -> Path:
        return self.inside(self.root / "outbox" / str(period))

    def templates_dir(self, period: Period) -> Path:
        return self.inside(self.outbox(period) / "templates")

    def mail_dir(self, period: Period) -> Path:
        return self.inside(self.outbox(period) / "mail")

    def inbox(self, period: Period) -> Path:
        return self.inside(self.root / "inbox" / str(period))

    def feedback_dir(self, period: Period) -> Path:
        return self.inside(self.root / "feedback" / str(period))

    def feedback_path(self, period: Period, name: str, sha256: str) -> Path:
        """The feedback workbook of the return ``name`` (as its sender named it) with these bytes."""
        from perfsheet.mail.names import safe_filename  # email.* only for a feedback path

        stem = Path(safe_filename(name)).stem
        return self.inside(self.feedback_dir(period) / safe_filename(f"{stem}{FEEDBACK_SUFFIX % sha256[:8]}"))

    def feedback_files_of(self, period: Period, sha256: str) -> list[Path]:
        """Every feedback workbook of the return with these bytes, whatever name it was made under."""
        folder = self.feedback_dir(period)
        return sorted(folder.glob(f"*{FEEDBACK_SUFFIX % sha256[:8]}")) if folder.is_dir() else []

    def reports_dir(self, period: Period) -> Path:
        return self.inside(self.root / "reports" / str(period))

    def inside(self, path: Path) -> Path:
        """``path`` checked by :func:`perfsheet.fsutil.confined`: inside the workspace, through no symlink.

        Every path method goes through here, so a planted link is refused before anything reads or
        writes through it; writers also create folders with :func:`perfsheet.fsutil.safe_dir`."""
        return confined(self.root, path)


def open_ledger(ws: Workspace) -> Ledger:
    """The ledger of a workspace (created on first use)."""
    from perfsheet.ledger.store import Ledger  # `goals show` and `check` open a workspace, not its ledger

    return Ledger(ws.ledger_path, root=ws.root)


def period_status(ws: Workspace, period: Period, *, today: dt.date | None = None) -> PeriodStatus:
    """Status per project of a workspace for one period (``perfsheet status``), from its ledger."""
    from perfsheet.ledger.status import compute_period_status

    with open_ledger(ws) as ledger:
        rows = ledger.rows(period)
    return compute_period_status(ws.department, rows, period, deadline_day=ws.config.deadline_day, today=today)


def counting_submissions(ws: Workspace, period: Period) -> list[Submission]:
    """The returns that count for ``period``, in registry order, as the ledger holds them."""
    with open_ledger(ws) as ledger:
        counting = ledger.counting(period)
    out: list[Submission] = []
    for project in ws.department.projects:
        row = counting.get(project.code)
        submission = row.submission() if row is not None else None
        if submission is not None:
            out.append(submission)
    return out


def periods_with_returns(ws: Workspace) -> list[Period]:
    """Every period for which the ledger holds at least one return of a known project."""
    if not ws.ledger_path.exists():
        return []
    with open_ledger(ws) as ledger:
        return ledger.periods()


def init_workspace(directory: str | Path | None = None, goals_path: str | Path | None = None) -> Workspace:
    """Create a workspace from the embedded 2025 default or a goals file.

    An existing ``perfsheet.yaml`` or goals file is never overwritten (a person may have edited it).
    """
    # Absolute from here on: the confinement rule reads a relative path as relative to the root, so a
    # relative root would be joined twice (``workbooks/workbooks/…``).
    root = Path(os.path.abspath(directory if directory is not None else DEFAULT_WORKSPACE))
    root.mkdir(parents=True, exist_ok=True)
    department = registry.load_goals(goals_path) if goals_path is not None else registry.load_default()
    for sub in ("goals", "outbox", "archive", "inbox", "feedback", "reports"):
        safe_dir(root, root / sub)  # never through a planted link (the one rule of fsutil)
    goals_file = confined(root, root / "goals" / f"{department.year}.yaml")
    if not goals_file.exists():
        registry.save_goals(department, goals_file)
    config_file = confined(root, root / CONFIG_NAME)
    if not config_file.exists():
        text = registry.default_config_text()
        if goals_path is not None:
            text = _config_for(department, text)
        write_text_atomic(config_file, text, root=root)
    return Workspace.open(root)


def _config_for(department: Department, default_text: str) -> str:
    """The default config adapted to another department/year: keep the roster where codes match.

    Written with yaml.safe_dump so that any department or section name (colons, quotes, #) stays data.
    """
    default = _parse_config(default_text, CONFIG_NAME)
    names = [s.name for s in department.sections] or [s.name for s in default.roster.sections]
    chiefs = {s.name: s for s in default.roster.sections}
    office = default.office
    data: dict[str, Any] = {
        "schema": 1,
        "department": department.name,
        "year": department.year,
        "goals": f"goals/{department.year}.yaml",
        "office": {"name": office.name, "contact": office.contact, "phone": office.phone, "email": office.email},
        "deadline_day": default.deadline_day,
        "grace_days": default.grace_days,
        "thresholds": {
            "budget_red": int(default.thresholds.budget_red),
            "budget_yellow": int(default.thresholds.budget_yellow),
        },
        "sections": [
            {"name": name, "chief": chiefs[name].chief if name in chiefs else "",
             "email": chiefs[name].email if name in chiefs else ""}
            for name in names
        ],
        # The 部门整体 form is assigned like a project (its code 部门整体), so the clerk sees who fills it.
        "projects": {
            p.code: section
            for p in department.monitored
            if (section := default.roster.project_sections.get(p.code) or p.section) and section in names
        },
        "monitoring": _monitoring_data(default.monitoring),
        "report": {"recipient": default.report_recipient},
    }
    header = "# perfsheet 工作区配置：科室与科长名单、项目归属、预警阈值、报送期限。请填写科长姓名和邮箱。\n"
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _yaml_number(value: Decimal) -> int | float:
    """A Decimal as YAML writes a plain number: 30 stays 30, 12.5 stays 12.5 (never truncated)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _monitoring_data(rules: MonitoringRules) -> dict[str, Any]:
    """``monitoring:`` as perfsheet.yaml writes it (light names in Chinese, as a clerk reads them)."""
    words = LIGHT_LABELS
    return {
        "indicator_months": sorted(rules.indicator_months),
        "deviation_categories": list(rules.deviation_choices),
        "budget_explanation_lights": [words[light] for light in ("red", "yellow") if light in rules.budget_explanation_lights],
        "indicator_off_percent": _yaml_number(rules.indicator_off_percent),
        "zero_spend_after_month": rules.zero_spend_after_month,
    }


def resolve_department(goals_path: Path | None = None, workspace_dir: Path | None = None) -> Department:
    """The registry a command works on: ``--goals`` file, else ``--workspace``, else the default
    workspace (:func:`default_workspace`) if there is one, else the embedded 2025 default."""
    if goals_path is not None and workspace_dir is not None:
        raise PerfsheetError("--goals 与 --workspace 只能指定一个")
    if goals_path is not None:
        # The default roster assigns sections by project code, so a re-imported or edited 2025 file
        # keeps its sections; projects of other years keep the section their file states.
        return registry.apply_roster(registry.load_goals(goals_path), registry.default_roster())
    if uses_workspace(goals_path, workspace_dir):
        return Workspace.open(workspace_dir).department
    return registry.load_default()

