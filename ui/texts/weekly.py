"""Texts of the weekly page."""

TEXTS = {
    'weekly.title': ('周调度会',
                     'Weekly meeting'),
    'weekly.what': ('本周与上周对比、红黑榜、跟进事项、导出 PPT 与 Excel。',
                    'This week against last, red and black lists, follow-ups, PowerPoint and Excel exports.'),
}
