"""Texts of the audit page."""

TEXTS = {
    "audit.title": ("审计日志", "Audit log"),
    "audit.what": ("每一次写入的操作人、时间、内容与新旧值。",
                   "Who changed what and when, with the old and new values."),
    "audit.user": ("操作人", "User"),
    "audit.table": ("数据表", "Table"),
    "audit.period": ("日期范围", "Dates"),
    "audit.count": ("记录数", "Entries"),
    "audit.col.at": ("时间", "When"),
    "audit.col.username": ("操作人", "User"),
    "audit.col.action": ("操作", "Action"),
    "audit.col.table": ("数据表", "Table"),
    "audit.col.record_id": ("记录", "Record"),
    "audit.col.old_values": ("原值", "Old values"),
    "audit.col.new_values": ("新值", "New values"),
    "audit.col.problem": ("问题卡片", "Problem card"),
    "audit.problem_help": ("点击打开该问题的卡片（字段、照片、流转记录）。",
                           "Opens the problem's card (fields, photos, history)."),
}
