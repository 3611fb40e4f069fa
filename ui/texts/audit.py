"""Texts of the audit page."""

TEXTS = {
    'audit.title': ('审计日志',
                    'Audit log'),
    'audit.what': ('每一次写入的操作人、时间、内容与新旧值。',
                   'Who changed what and when, with the old and new values.'),
}
