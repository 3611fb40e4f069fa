"""Titles and descriptions of the pages that their own issues fill in."""

TEXTS = {
    "map.title": ("测评点位地图", "Evaluation-site map"),
    "map.what": ("381 个测评点位及其 300 米周边、范围内的问题、街道边界，可逐级下钻。",
                 "The 381 sites with their 300 m surroundings, the problems inside them and the "
                 "subdistrict boundaries, with drill-down."),
    "problems.title": ("问题闭环管理", "The problem closed loop"),
    "problems.what": ("发现→交办→整改→复核→销号的漏斗、超期清单、账龄、工作队列与状态流转。",
                      "The discover → assign → rectify → review → close funnel, overdue list, "
                      "ageing, work queue and status changes."),
    "renovation.title": ("改造工程进度", "Renovation progress"),
    "renovation.what": ("老旧小区、背街小巷、精品街路、重点街路分批进度、计划与实际、甘特图。",
                        "Old compounds, back streets, boutique streets and key roads by batch: "
                        "progress, plan against actual, timeline."),
    "markets.title": ("农贸市场治理", "Farmers'-market governance"),
    "markets.what": ("每日检查得分、排名、检查项失分、发现问题进入闭环。",
                     "Daily inspection scores, ranking, checklist breakdown, findings into the loop."),
    "volunteers.title": ("志愿服务与文明实践", "Volunteers and civilization practice"),
    "volunteers.what": ("志愿队伍、活动、社区与点位覆盖及空白。",
                        "Teams, activities, coverage of communities and sites, and the gaps."),
    "weekly.title": ("周调度会", "Weekly meeting"),
    "weekly.what": ("本周与上周对比、红黑榜、跟进事项、导出 PPT 与 Excel。",
                    "This week against last, red and black lists, follow-ups, PowerPoint and "
                    "Excel exports."),
    "data.title": ("数据导入与导出", "Data import and export"),
    "data.what": ("模板下载、校验导入、导出。", "Templates, validated imports, exports."),
    "audit.title": ("审计日志", "Audit log"),
    "audit.what": ("每一次写入的操作人、时间、内容与新旧值。",
                   "Who changed what and when, with the old and new values."),
    "users.title": ("用户管理", "Users"),
    "users.what": ("账号、角色与所属街道。", "Accounts, roles and subdistricts."),
}
