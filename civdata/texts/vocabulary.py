"""The words of the domain, defined once and read by the pages, the data layer's messages,
the command line and the reports: roles, permissions, problem statuses, sources and workflow
actions, project stages, and the field names that refusals quote.

English names are capitalised as the pages show them; a sentence that quotes one lower-cases it
with "{name:lower}" (see civdata/texts/__init__.py).
"""

TEXTS = {
    # roles (civdata.core.auth: PERMISSIONS)
    "role.leader": ("区领导", "Leader"),
    "role.office": ("区文明办", "Civilization Office"),
    "role.subdistrict": ("街道", "Subdistrict"),
    "role.market": ("市场监管局", "Market Bureau"),
    "role.admin": ("系统管理员", "Administrator"),
    # what each permission lets a role do (civdata.core.auth.PERMISSIONS: one key per action)
    "permission.meeting.follow_up": ("记录会议跟进事项", "record meeting follow-ups"),
    "permission.meeting.manage": ("管理会议", "manage meetings"),
    "permission.problem.report": ("上报问题", "report problems"),
    "permission.problem.assign": ("交办问题", "assign problems"),
    "permission.problem.rectify": ("整改问题", "rectify problems"),
    "permission.problem.review": ("复核问题", "review problems"),
    "permission.project.progress": ("填报工程进度", "report project progress"),
    "permission.project.correct": ("更正工程进度", "correct project progress"),
    "permission.market.inspect": ("录入市场检查", "record market inspections"),
    "permission.activity.record": ("录入志愿活动", "record volunteer activities"),
    "permission.site.edit": ("维护点位", "edit sites"),
    "permission.settings.edit": ("修改设置", "change settings"),
    "permission.data.import": ("导入数据", "import data"),
    "permission.audit.read": ("查看审计日志", "read the audit log"),
    "permission.user.manage": ("管理用户", "manage users"),
    "permission.evaluation.manage": ("管理测评体系和检查轮次", "manage the evaluation system and rounds"),
    "permission.evaluation.inspect": ("录入点位检查", "record site inspections"),
    "permission.evaluation.task": ("更新任务清单", "update six-lists tasks"),
    "permission.material.upload": ("上传测评材料", "upload evaluation materials"),
    "permission.material.review": ("审核测评材料", "review evaluation materials"),
    "permission.survey.import": ("导入问卷调查", "import the household survey"),
    "permission.report.submit": ("提交群众举报", "file public reports"),
    "permission.report.moderate": ("审核群众举报和12345工单", "moderate public reports and hotline orders"),
    "permission.problem.confirm": ("确认已有问题", "confirm existing problems"),
    "permission.notify.manage": ("管理消息联系人", "manage message contacts"),
    # the problem loop (civdata.domain.workflow)
    "problem.status.discovered": ("已发现", "Discovered"),
    "problem.status.assigned": ("已交办", "Assigned"),
    "problem.status.rectifying": ("整改中", "Rectifying"),
    "problem.status.submitted": ("待复核", "Submitted"),
    "problem.status.closed": ("已销号", "Closed"),
    "problem.source.daily_inspection": ("日常巡查", "Daily inspection"),
    "problem.source.spot_check": ("抽查", "Spot check"),
    "problem.source.third_party": ("第三方测评", "Third-party evaluation"),
    "problem.source.public_report": ("群众举报", "Public report"),
    "problem.source.market_inspection": ("市场检查", "Market inspection"),
    "workflow.action.assign": ("交办", "assign"),
    "workflow.action.start": ("开始整改", "start"),
    "workflow.action.submit": ("提交整改", "submit"),
    "workflow.action.accept": ("复核通过", "accept"),
    "workflow.action.reject": ("退回整改", "reject"),
    "workflow.action.reopen": ("重新立案", "reopen"),
    "problem.field.description": ("问题描述", "description"),
    "problem.field.responsible_unit": ("责任单位", "responsible unit"),
    "problem.field.note": ("说明", "note"),
    # the evaluation (civdata.domain.evaluation, site_inspections)
    "eval.part_kind.basic": ("基本", "basic"),
    "eval.part_kind.distinctive": ("特色", "distinctive"),
    "eval.field.round_name": ("轮次名称", "round name"),
    "inspection.source.self_check": ("自查", "Self-check"),
    "inspection.source.third_party": ("第三方测评", "Third-party"),
    "inspection.source.spot_check": ("暗访抽查", "Unannounced spot check"),
    # renovation projects (civdata.domain.renovation)
    "project.stage.planned": ("计划", "planned"),
    "project.stage.bidding": ("招标", "bidding"),
    "project.stage.under_construction": ("在建", "under construction"),
    "project.stage.completed": ("已完工", "completed"),
    # market inspections (civdata.domain.markets)
    "market.inspection_kind.first": ("检查", "inspection"),
    "market.inspection_kind.repeat": ("复检", "re-inspection"),
    # volunteer activities (civdata.domain.volunteers)
    "activity.field.participants": ("参与人数", "participants"),
    "activity.field.volunteer_hours": ("志愿时长", "volunteer hours"),
    "activity.field.title": ("活动名称", "title"),
    "activity.field.place": ("活动地点", "place"),
    "activity.field.held_on": ("活动日期", "date"),
}
