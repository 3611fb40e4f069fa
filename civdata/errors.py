"""Errors the data layer raises, with their messages in Chinese and English."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "activity_future": {
        "zh": "活动日期 {day} 晚于今天（{today}），不能录入未来的活动。",
        "en": "The activity date {day} is after today ({today}); future activities cannot be "
        "recorded.",
    },
    "activity_not_positive": {
        "zh": "{field}必须大于 0（填写的是 {value}）。",
        "en": "The {field} must be greater than 0 (got {value}).",
    },
    "activity_not_whole": {
        "zh": "{field}必须是整数（填写的是 {value}）。",
        "en": "The {field} must be a whole number (got {value}).",
    },
    "activity_hours_implausible": {
        "zh": "志愿时长 {hours} 小时超过了 {participants} 人 × 24 小时 = {limit} 小时。",
        "en": "{hours} volunteer hours exceed {participants} participants × 24 hours = {limit}.",
    },
    "sample_not_empty": {
        "zh": "数据库中已有数据；如需覆盖，请加 --replace。",
        "en": "The database already holds data; add --replace to overwrite it.",
    },
    "permission_denied": {
        "zh": "无权操作：{role}角色不能{action}。",
        "en": "Not allowed: the {role} role may not {action}.",
    },
    "wrong_subdistrict": {
        "zh": "无权操作：只能修改本街道的记录。",
        "en": "Not allowed: you may only change your own subdistrict's records.",
    },
    "login_failed": {
        "zh": "用户名或密码错误。",
        "en": "Wrong user name or password.",
    },
    "login_locked": {
        "zh": "登录失败次数过多，请 {minutes} 分钟后再试。",
        "en": "Too many failed logins; try again in {minutes} minutes.",
    },
    "user_exists": {"zh": "用户名 {username} 已存在。", "en": "The user name {username} is taken."},
    "user_unknown": {"zh": "没有用户 {username}。", "en": "There is no user {username}."},
    "bad_role": {"zh": "未知角色：{role}。", "en": "Unknown role: {role}."},
    "subdistrict_required": {
        "zh": "街道角色必须绑定一个街道。",
        "en": "A subdistrict account must be bound to one subdistrict.",
    },
    "unknown_subdistrict": {"zh": "未知街道代码：{code}。", "en": "Unknown subdistrict code: {code}."},
    "weak_password": {
        "zh": "密码至少需要 {n} 个字符。",
        "en": "The password needs at least {n} characters.",
    },
    "not_found": {"zh": "未找到记录：{what}。", "en": "Record not found: {what}."},
    "progress_out_of_range": {
        "zh": "完成百分比须在 0 到 100 之间（填报值 {percent}）。",
        "en": "The percent complete must lie between 0 and 100 (got {percent}).",
    },
    "progress_backwards": {
        "zh": "进度不能倒退：上次填报（{on}）为 {last}%，本次为 {percent}%。如属更正，请由区文明办勾选“更正”。",
        "en": "Progress cannot go backwards: the last report ({on}) says {last}%, this one "
        "{percent}%. If this is a correction, the civilization office must mark it so.",
    },
    "stage_backwards": {
        "zh": "阶段不能倒退：当前为“{current}”，本次填报为“{stage}”。如属更正，请由区文明办勾选“更正”。",
        "en": "The stage cannot go back from '{current}' to '{stage}'. If this is a "
        "correction, the civilization office must mark it so.",
    },
    "progress_stage_mismatch": {
        "zh": "阶段与进度不符：“已完工”须为 100%，100% 须选“已完工”。",
        "en": "Stage and percent disagree: 'completed' needs 100 %, and 100 % needs 'completed'.",
    },
    "progress_date_order": {
        "zh": "填报日期 {day} 早于该工程最近一次填报（{last}）。",
        "en": "The report date {day} is before the project's latest report ({last}).",
    },
    "drawings_after_start": {
        "zh": "施工图完成日期 {day} 晚于开工日期 {start}。",
        "en": "The drawings date {day} lies after construction started on {start}.",
    },
    "progress_date_future": {
        "zh": "填报日期 {day} 晚于今天。",
        "en": "The report date {day} lies in the future.",
    },
    "stale_edit": {
        "zh": "该记录已被 {who} 于 {at} 修改，请刷新后重试。",
        "en": "This record was changed by {who} at {at}; reload and try again.",
    },
    "required_field": {"zh": "请填写：{field}。", "en": "Please fill in: {field}."},
    "submit_needs_evidence": {
        "zh": "提交整改需同时填写整改说明并上传整改后照片。",
        "en": "Submitting needs both a note on the rectification and an after-photo.",
    },
    "reject_needs_reason": {"zh": "退回整改需写明理由。", "en": "Rejecting needs a reason."},
    "photo_type": {
        "zh": "照片格式不支持：只接受 JPEG、PNG、WebP。",
        "en": "Unsupported photo format: only JPEG, PNG and WebP are accepted.",
    },
    "photo_too_large": {
        "zh": "照片过大（{size_mb} MB），上限为 {limit_mb} MB。",
        "en": "The photo is too large ({size_mb} MB); the limit is {limit_mb} MB.",
    },
    "photo_unreadable": {
        "zh": "照片文件已损坏或无法识别。",
        "en": "The photo file is damaged or cannot be read.",
    },
    "bad_transition": {
        "zh": "问题状态为“{state}”，不能执行“{action}”。",
        "en": "The problem is '{state}'; '{action}' is not possible now.",
    },
    "invalid_value": {"zh": "无效的值：{field}（{detail}）。", "en": "Invalid value: {field} ({detail})."},
    "outside_district": {
        "zh": "坐标 ({lat}, {lon}) 不在和平区范围内，请检查坐标系（WGS-84 / GCJ-02 / BD-09）。",
        "en": "The point ({lat}, {lon}) lies outside Heping District; check its datum "
        "(WGS-84 / GCJ-02 / BD-09).",
    },
    "bad_week": {"zh": "无效的周次：{week}（格式如 2026-W48）。",
                 "en": "Invalid week: {week} (use the form 2026-W48)."},
    "meeting_closed": {"zh": "{week} 周调度会已结束，记录不可更改。",
                       "en": "The {week} meeting is closed; its record cannot change."},
    "meeting_not_open": {"zh": "{week} 周调度会尚未开始。",
                         "en": "The {week} meeting has not been opened."},
    "bad_item_status": {"zh": "未知的事项状态：{status}。", "en": "Unknown item status: {status}."},
    "market_score_range": {
        "zh": "检查项 {item} 的得分 {score} 须在 0 到 {max} 之间。",
        "en": "The score {score} of item {item} must lie between 0 and {max}.",
    },
    "market_scores_missing": {
        "zh": "以下检查项未打分：{items}。",
        "en": "These checklist items have no score: {items}.",
    },
    "market_unknown_item": {"zh": "未知检查项：{item}。", "en": "Unknown checklist item: {item}."},
    "market_date_future": {
        "zh": "检查日期 {day} 晚于今天。",
        "en": "The inspection date {day} lies in the future.",
    },
    "market_inspector_required": {"zh": "请填写检查人。", "en": "Please name the inspector."},
    # --- the live feed (civdata/simulate.py) ---
    "simulate_no_data": {
        "zh": "数据库中没有可供模拟的数据（街道、点位、问题类别）。请先运行 python -m civdata load-sample。",
        "en": "The database holds nothing to simulate on (subdistricts, sites, problem classes). "
        "Run python -m civdata load-sample first.",
    },
    # --- imports (civdata/importers.py) ---
    "import_file_type": {
        "zh": "文件类型不支持：{name}。只接受 CSV（.csv）或 Excel（.xlsx）文件。",
        "en": "Unsupported file type: {name}. Only CSV (.csv) or Excel (.xlsx) files are accepted.",
    },
    "import_file_empty": {"zh": "文件 {name} 是空的，没有数据行。",
                          "en": "The file {name} is empty: it has no data rows."},
    "import_file_too_large": {
        "zh": "文件过大（{size_mb} MB），上限为 {limit_mb} MB，请拆分后分批导入。",
        "en": "The file is too large ({size_mb} MB); the limit is {limit_mb} MB. Split it.",
    },
    "import_sheet_missing": {
        "zh": "工作簿中没有“{expected}”工作表（现有：{found}）。请使用模板。",
        "en": "The workbook has no sheet named '{expected}' (found: {found}). Use the template.",
    },
    "import_no_header": {
        "zh": "找不到表头行：前 {rows} 行中没有可识别的列名（应有：{expected}）。",
        "en": "No header row found in the first {rows} rows (expected columns: {expected}).",
    },
    "import_unknown_columns": {
        "zh": "未知的列：{columns}。请使用模板中的列名。",
        "en": "Unknown columns: {columns}. Use the template's column names.",
    },
    "import_missing_columns": {"zh": "缺少必填列：{columns}。",
                               "en": "Required columns are missing: {columns}."},
    "import_duplicate_column": {"zh": "列“{column}”出现了两次。",
                                "en": "The column '{column}' appears twice."},
    "import_bad_date": {
        "zh": "无法识别的日期：{value}（可用 2022-08-05、2022/8/5、2022年8月5日或 Excel 日期）。",
        "en": "Unreadable date: {value} (use 2022-08-05, 2022/8/5, 2022年8月5日 or an Excel date).",
    },
    "import_bad_number": {"zh": "不是有效的数字：{value}。", "en": "Not a valid number: {value}."},
    "import_bad_whole": {"zh": "须为整数：{value}。", "en": "Must be a whole number: {value}."},
    "import_bad_choice": {"zh": "无效的取值：{value}（可选：{choices}）。",
                          "en": "Invalid value: {value} (choose from: {choices})."},
    "import_unknown_code": {"zh": "未知的{what}代码：{value}。",
                            "en": "Unknown {what} code: {value}."},
    "import_duplicate_row": {"zh": "与第 {first} 行重复。",
                             "en": "Duplicates row {first}."},
    "import_refused": {
        "zh": "文件有 {issues} 处问题（涉及 {bad_rows} 行，共 {rows} 行），未写入任何数据。",
        "en": "The file has {issues} problems in {bad_rows} of {rows} rows; nothing was written.",
    },
    # --- backup and restore (civdata/backup.py) ---
    "backup_no_schema": {
        "zh": "数据库中没有可备份的表，请先运行 python -m civdata init-db。",
        "en": "The database has no tables to back up; run `python -m civdata init-db` first.",
    },
    "backup_unsupported_type": {
        "zh": "无法备份的列类型：{type}。",
        "en": "A column type the backup cannot write: {type}.",
    },
    "backup_write_failed": {
        "zh": "无法写入备份文件 {path}：{detail}。",
        "en": "Cannot write the backup file {path}: {detail}.",
    },
    "backup_not_found": {"zh": "找不到备份文件：{path}。", "en": "No backup file at {path}."},
    "backup_not_archive": {
        "zh": "{path} 不是备份文件（不是可读取的 .tar.gz 压缩包），未恢复任何数据。",
        "en": "{path} is not a backup (not a readable .tar.gz archive); nothing was restored.",
    },
    "backup_no_manifest": {
        "zh": "{path} 中没有 manifest.json，不是由 python -m civdata backup 生成的备份，未恢复任何数据。",
        "en": "{path} has no manifest.json: it was not written by `python -m civdata backup`; "
        "nothing was restored.",
    },
    "backup_bad_manifest": {
        "zh": "{path} 的 manifest.json 无法读取（{detail}），未恢复任何数据。",
        "en": "The manifest.json of {path} is unreadable ({detail}); nothing was restored.",
    },
    "backup_newer_format": {
        "zh": "{path} 的备份格式版本为 {found}，本程序只能读取 {supported} 及以下版本；请用更新版本的程序恢复。",
        "en": "{path} has backup format {found}; this version reads up to {supported}. "
        "Restore it with a newer version of the dashboard.",
    },
    "backup_unknown_revision": {
        "zh": "备份的数据库结构版本 {revision} 不为本程序所知（已知：{known}）；请用生成该备份的版本或更新版本恢复，未恢复任何数据。",
        "en": "The backup's schema revision {revision} is unknown to this version (known: "
        "{known}); restore it with the version that wrote it or a newer one. Nothing was "
        "restored.",
    },
    "backup_checksum": {
        "zh": "备份文件已损坏：{member} 与清单中的校验和不符，未恢复任何数据。",
        "en": "The backup is damaged: {member} does not match its checksum in the manifest; "
        "nothing was restored.",
    },
    "backup_bad_member": {
        "zh": "备份文件已损坏：{member}（{detail}），未恢复任何数据。",
        "en": "The backup is damaged: {member} ({detail}); nothing was restored.",
    },
    "restore_not_empty": {
        "zh": "目标数据库中已有数据，未做任何改动；如需覆盖，请先备份它，再加 --replace。",
        "en": "The target database already holds data and was left unchanged; to overwrite "
        "it, back it up first, then add --replace.",
    },
    "restore_schema_mismatch": {
        "zh": "目标数据库的结构与备份不符：{table} {column}，已回滚。",
        "en": "The target database's schema does not match the backup at {table} {column}; "
        "rolled back.",
    },
    "restore_failed": {
        "zh": "恢复失败，已回滚，数据库中未写入任何数据：{detail}",
        "en": "The restore failed and was rolled back; nothing was written: {detail}",
    },
}


class CivDataError(Exception):
    """A refused request: carries a message code and its parameters, shown in either language."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "zh") -> str:
        """Return the message in lang ('zh' or 'en')."""
        template = MESSAGES.get(self.code, {}).get(lang) or self.code
        params = dict(self.params)
        if lang == "zh":  # parameters with a Chinese variant (role_zh, action_zh) win
            params.update({k[:-3]: v for k, v in self.params.items() if k.endswith("_zh")})
        try:
            return template.format(**params)
        except (KeyError, IndexError):
            return template

    def __str__(self) -> str:
        return self.message("en")


class PermissionDenied(CivDataError):
    """A write that the acting user's role does not allow."""


class StaleEdit(CivDataError):
    """An edit based on an older version of a record than the stored one."""
