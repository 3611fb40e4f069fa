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
    "photo_too_many_pixels": {  # issue 15: a small file can still decode to a huge image
        "zh": "照片像素过多（{width}×{height}，约 {megapixels} 百万像素），上限为 {limit_mp} 百万像素；请缩小后再上传。",
        "en": "The photo has too many pixels ({width}×{height}, {megapixels} megapixels); the "
        "limit is {limit_mp} megapixels. Scale it down and upload it again.",
    },
    "photo_unreadable": {
        "zh": "照片文件已损坏或无法识别。",
        "en": "The photo file is damaged or cannot be read.",
    },
    "photo_not_stored": {  # issue 15: only names the photo store issued, for files it holds
        "zh": "照片未在照片库中找到，请重新上传。",
        "en": "The photo is not in the photo store; upload it again.",
    },
    "site_wrong_subdistrict": {
        "zh": "点位 {site} 不属于所选街道。",
        "en": "The site {site} does not belong to the chosen subdistrict.",
    },
    "point_outside_subdistrict": {
        "zh": "坐标 ({lat}, {lon}) 不在本街道范围内。",
        "en": "The point ({lat}, {lon}) lies outside your subdistrict.",
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
        "zh": "检查项“{item}”的得分 {score} 须在 0 到 {max} 之间。",
        "en": "The score {score} of the item '{item}' must lie between 0 and {max}.",
    },
    "inspection_exists": {
        "zh": "{market}在 {day} 已有{inspector}的一条相同{kind}记录（总分相同），不能重复录入。",
        "en": "The same {kind} of {market} by {inspector} on {day} (same total) is already "
        "recorded; it cannot be recorded twice.",
    },
    "progress_exists": {
        "zh": "工程 {project} 在 {day} 已有一条相同的进度填报（{percent}%，{stage}），不能重复录入。",
        "en": "The project {project} already has the same progress report on {day} ({percent} %, "
        "{stage}); it cannot be recorded twice.",
    },
    "activity_exists": {
        "zh": "{team}在 {day} 于“{place}”的活动“{title}”已有记录，不能重复录入。",
        "en": "The activity '{title}' of {team} at '{place}' on {day} is already recorded; it "
        "cannot be recorded twice.",
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
    "import_file_damaged": {
        "zh": "文件 {name} 已损坏，无法作为 Excel 工作簿打开。请在 Excel 中打开并另存为 .xlsx 后重试。",
        "en": "The file {name} is damaged: it cannot be opened as an Excel workbook. Open it in "
        "Excel, save it again as .xlsx and retry.",
    },
    "import_old_xls": {
        "zh": "文件 {name} 是旧版 Excel（.xls）或加密的工作簿。请在 Excel 中“另存为” Excel 工作簿（.xlsx，不加密码）后导入。",
        "en": "The file {name} is an old-format Excel file (.xls) or a password-protected "
        "workbook. Save it in Excel as an Excel Workbook (.xlsx, no password) and import that.",
    },
    "import_xlsx_named_csv": {
        "zh": "文件 {name} 的内容是 Excel 工作簿，但文件名以 .csv 结尾。请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV。",
        "en": "The file {name} holds an Excel workbook but its name ends in .csv. Rename it to "
        ".xlsx, or save it from Excel as CSV.",
    },
    "import_not_text": {
        "zh": "文件 {name} 不是文本表格（CSV），看起来是二进制文件（如图片或压缩包）。请上传 CSV 或 .xlsx 文件。",
        "en": "The file {name} is not a text table (CSV): it looks like a binary file (an image "
        "or an archive, say). Upload a CSV or .xlsx file.",
    },
    "import_csv_unreadable": {
        "zh": "文件 {name} 无法按 CSV 读取（{detail}），未写入任何数据。请确认它是用逗号分隔的表格。",
        "en": "The file {name} cannot be read as CSV ({detail}); nothing was written. Check that "
        "it is a comma-separated table.",
    },
    "import_cell_too_long": {
        "zh": "文件 {name} 中有一个单元格超过 {limit} 个字符，这不是一张正常的表格，未写入任何数据。",
        "en": "A cell of {name} is longer than {limit} characters: this is not a usual table; "
        "nothing was written.",
    },
    "import_unreadable": {
        "zh": "文件 {name} 无法读取（{detail}），未写入任何数据。",
        "en": "The file {name} cannot be read ({detail}); nothing was written.",
    },
    "import_duplicate_key": {
        "zh": "第 {row} 行与第 {first} 行的{key}相同（{value}），但其余内容不同；同一条记录在文件中只能出现一次。",
        "en": "Rows {first} and {row} have the same {key} ({value}) but different contents; "
        "one record may appear only once in a file.",
    },
    "import_conflict": {
        "zh": "数据库中已有{what}（{value}），内容与本行不同；请核对后在页面中修改，而不是重复导入。",
        "en": "The database already holds the {what} ({value}) with different contents; check "
        "it and change it on its page rather than importing it again.",
    },
    "import_already_rows": {
        "zh": "第 {rows} 行已导入过（与数据库中的记录相同），未重复写入。",
        "en": "Rows {rows} were already imported (identical records are in the database) and "
        "were not written again.",
    },
    "import_summary": {
        "zh": "{kind}：{verb} {written} 行，共 {rows} 行（新增 {created}，更新 {updated}，已导入过 {already}，跳过 {skipped}）",
        "en": "{kind}: {verb} {written} of {rows} rows ({created} new, {updated} updated, "
        "{already} already imported, {skipped} skipped)",
    },
    "import_verb_dry": {"zh": "可导入", "en": "would import"},
    "import_verb_done": {"zh": "已导入", "en": "imported"},
    "import_row": {"zh": "第 {row} 行", "en": "row {row}"},
    "import_file_level": {"zh": "整个文件", "en": "whole file"},
    "error_prefix": {"zh": "错误：", "en": "error: "},
    "import_datum_suspect": {
        "zh": "坐标离{what} {ref} 有 {raw_m} 米，按 {datum_zh} 换算后只差 {conv_m} 米：这些坐标看起来是{datum_zh}坐标，不是 WGS-84。请选择坐标系（导入设置或“坐标系”列）后重新导入。",
        "en": "The point lies {raw_m} m from its {what} {ref}, but only {conv_m} m after a "
        "{datum} conversion: the coordinates look like {datum} ones, not WGS-84. Choose the "
        "coordinate system (the import setting or a 'datum' column) and import again.",
    },
    "import_datum_suspect_file": {
        "zh": "文件中 {n} 行（共 {m} 行可核对）的坐标都偏离所属点位或社区约 {raw_m} 米，按 {datum_zh} 换算后只差约 {conv_m} 米：整个文件看起来是{datum_zh}坐标。请选择坐标系后重新导入。",
        "en": "{n} of the {m} rows that can be checked lie about {raw_m} m from their site or "
        "community, but about {conv_m} m after a {datum} conversion: the whole file looks like "
        "{datum} coordinates. Choose the coordinate system and import again.",
    },
    "import_lat_impossible": {
        "zh": "纬度 {lat} 不可能（纬度只能在 -90 到 90 之间）。",
        "en": "A latitude of {lat} is impossible (latitudes lie between -90 and 90).",
    },
    "import_lat_lon_swapped": {
        "zh": "纬度 {lat} 不可能（纬度只能在 -90 到 90 之间）；经度 {lon} 像是纬度：“纬度”和“经度”两列似乎填反了。",
        "en": "A latitude of {lat} is impossible (latitudes lie between -90 and 90), and the "
        "longitude {lon} looks like a latitude: the latitude and longitude columns look swapped.",
    },
    "import_total_row": {
        "zh": "这是合计行（“{word}”），不是一条记录。请删除合计行后重新导入。",
        "en": "This is a total row ('{word}'), not a record. Delete the total row and import "
        "again.",
    },
    "import_formula_no_value": {
        "zh": "单元格是公式，但文件中没有保存计算结果。请在 Excel 中打开并保存该文件后再导入。",
        "en": "The cell holds a formula without a saved value. Open the file in Excel, save it, "
        "and import it again.",
    },
    "import_unknown_name": {"zh": "未知的{what}名称：{value}。",
                            "en": "Unknown {what} name: {value}."},
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
    "backup_unsigned": {  # issue 15: the manifest is signed with the installation's secret
        "zh": "{path} 的清单没有签名（可能来自旧版本），未恢复任何数据。确认文件来源可信后，可加 --allow-unsigned 恢复。",
        "en": "The manifest of {path} is not signed (an archive of an older version?); nothing "
        "was restored. If you trust where the file comes from, add --allow-unsigned.",
    },
    "backup_bad_signature": {
        "zh": "{path} 的清单签名不符：清单在签名后被改动过，未恢复任何数据。",
        "en": "The manifest of {path} does not match its signature: it was changed after it "
        "was signed; nothing was restored.",
    },
    "backup_other_key": {
        "zh": "{path} 由另一套系统签名（密钥 {found}，本系统为 {ours}），未恢复任何数据。请在本系统使用相同的 CIVDATA_SECRET，或确认文件来源可信后加 --allow-unsigned。",
        "en": "{path} was signed by another installation (key {found}; this one is {ours}); "
        "nothing was restored. Give this installation the same CIVDATA_SECRET, or, if you "
        "trust where the file comes from, add --allow-unsigned.",
    },
}

from civdata.core.evaluation_messages import EVAL_MESSAGES  # noqa: E402  (issue 19)

MESSAGES.update(EVAL_MESSAGES)


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
