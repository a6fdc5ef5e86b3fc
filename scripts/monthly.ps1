# 每月运行 perfsheet（Windows 任务计划程序）：默认处理上一个月。
#   powershell -ExecutionPolicy Bypass -File scripts\monthly.ps1 -Workspace D:\绩效监控\workbooks -From D:\绩效监控\收件
# IMAP 密码放在环境变量 PERFSHEET_IMAP_PASSWORD 中（不要写在命令行里）。
param(
    [string]$Workspace = "workbooks",
    [string[]]$From = @()
)
$ErrorActionPreference = "Stop"
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$env:PYTHONUTF8 = "1"
$period = (Get-Date -Day 1).AddDays(-1).ToString("yyyy-MM")
$logDir = Join-Path $Workspace "logs"
New-Item -ItemType Directory -Force -Path $logDir | Out-Null
$log = Join-Path $logDir ("run-{0}-{1}.log" -f $period, (Get-Date -Format "yyyyMMdd-HHmmss"))
$arguments = @("run", "--period", $period, "--workspace", $Workspace)
foreach ($source in $From) { $arguments += @("--from", $source) }
& perfsheet @arguments *>&1 | Tee-Object -FilePath $log
# 0 全部有效；1 有未报送或有错误的项目（见催报草稿）；2 无法运行（见日志）
exit $LASTEXITCODE
