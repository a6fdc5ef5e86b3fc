#!/usr/bin/env sh
# 每月运行 perfsheet（可放入 cron）：默认处理上一个月，收件来源取自参数。
#   scripts/monthly.sh [工作区目录] [来源...]
# 例：scripts/monthly.sh /srv/perfsheet/workbooks imaps://office@mail.example.gov/INBOX
# cron（每月 11 日 8:00，报送截止次日）：0 8 11 * * /path/to/scripts/monthly.sh /srv/perfsheet/workbooks imaps://…
# IMAP 密码放在环境变量 PERFSHEET_IMAP_PASSWORD 中（不要写在命令行里）。
set -eu
workspace="${1:-workbooks}"
[ $# -gt 0 ] && shift
period="${PERFSHEET_PERIOD:-}"
[ -n "$period" ] || period=$(python3 -c 'import datetime as d; t=d.date.today().replace(day=1)-d.timedelta(days=1); print(f"{t:%Y-%m}")')
mkdir -p "$workspace/logs"
log="$workspace/logs/run-$period-$(date +%Y%m%d-%H%M%S).log"
set -- $(for source in "$@"; do printf -- '--from %s ' "$source"; done)
status=0
perfsheet run --period "$period" --workspace "$workspace" "$@" >"$log" 2>&1 || status=$?
cat "$log"
# 0 全部有效；1 有未报送或有错误的项目（正常情况，见催报草稿）；2 无法运行（见日志）
exit "$status"
