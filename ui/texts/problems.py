"""Texts of the problems page."""

TEXTS = {
    'problems.title': ('问题闭环管理',
                       'The problem closed loop'),
    'problems.what': ('发现→交办→整改→复核→销号的漏斗、超期清单、账龄、工作队列与状态流转。',
                      'The discover → assign → rectify → review → close funnel, overdue list, ageing, work queue and status changes.'),
}
