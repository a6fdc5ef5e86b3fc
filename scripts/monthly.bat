@echo off
rem 每月运行 perfsheet（双击或用任务计划程序调用）：处理上一个月。
rem   scripts\monthly.bat D:\绩效监控\workbooks D:\绩效监控\收件
chcp 65001 >nul
powershell -NoProfile -ExecutionPolicy Bypass -File "%~dp0monthly.ps1" -Workspace "%~1" -From "%~2"
exit /b %ERRORLEVEL%
