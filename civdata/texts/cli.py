"""Texts of the command line (python -m civdata) and its live feed (simulate)."""

TEXTS = {
    "cli.error_prefix": ("错误：", "error: "),
    # python -m civdata simulate (civdata/io/simulate.py); workflow actions: vocabulary.py
    "simulate.start": ("模拟开始：每分钟 {rate:g} 个事件，共 {minutes:g} 分钟，随机种子 {seed}{fast}",
                       "simulating {rate:g} events per minute for {minutes:g} minutes, seed {seed}{fast}"),
    "simulate.fast": ("（不等待）", " (as fast as possible)"),
    "simulate.summary": ("共写入 {n} 个事件，用时 {seconds:.1f} 秒（随机种子 {seed}）：",
                         "{n} events written in {seconds:.1f} s (seed {seed}):"),
    "simulate.count.raised": ("市场检查发现问题并立案", "problems raised by inspections"),
    "simulate.count.closed": ("复检通过销号的问题", "problems closed by re-inspections"),
    "simulate.count.skipped": ("被拒绝而跳过的事件", "events refused and skipped"),
    "simulate.stopped": ("已按 Ctrl-C 停止。", "stopped by Ctrl-C."),
    "simulate.kind.report": ("新问题", "new problem"),
    "simulate.kind.progress": ("工程进度", "progress"),
    "simulate.kind.inspection": ("市场检查", "inspection"),
    "simulate.kind.activity": ("志愿活动", "activity"),
    "simulate.kind.skipped": ("已跳过", "skipped"),
}
