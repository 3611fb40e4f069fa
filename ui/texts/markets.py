"""Texts of the markets page."""

TEXTS = {
    'markets.title': ('农贸市场治理',
                      "Farmers'-market governance"),
    'markets.what': ('每日检查得分、排名、检查项失分、发现问题进入闭环。',
                     'Daily inspection scores, ranking, checklist breakdown, findings into the loop.'),
}
