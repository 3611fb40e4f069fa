"""Messages of the data layer's refusals: CivDataError(code) shows the text "error.<code>".

A new refusal adds its key here (or in its own area's module, as "error.<code>");
tests/test_i18n.py checks that every code raised in civdata has a text.
"""

TEXTS = {
    "error.activity_future": (
        "活动日期 {day} 晚于今天（{today}），不能录入未来的活动。",
        "The activity date {day} is after today ({today}); future activities cannot be recorded.",
    ),
    "error.activity_not_positive": (
        "{field}必须大于 0（填写的是 {value}）。",
        "The {field} must be greater than 0 (got {value}).",
    ),
    "error.activity_not_whole": (
        "{field}必须是整数（填写的是 {value}）。",
        "The {field} must be a whole number (got {value}).",
    ),
    "error.activity_hours_implausible": (
        "志愿时长 {hours} 小时超过了 {participants} 人 × 24 小时 = {limit} 小时。",
        "{hours} volunteer hours exceed {participants} participants × 24 hours = {limit}.",
    ),
    "error.sample_not_empty": (
        "数据库中已有数据；如需覆盖，请加 --replace。",
        "The database already holds data; add --replace to overwrite it.",
    ),
    "error.permission_denied": (
        "无权操作：{role}角色不能{action}。",
        "Not allowed: the {role:lower} role may not {action}.",
    ),
    "error.wrong_subdistrict": (
        "无权操作：只能修改本街道的记录。",
        "Not allowed: you may only change your own subdistrict's records.",
    ),
    "error.login_failed": ("用户名或密码错误。", "Wrong user name or password."),
    "error.login_locked": (
        "登录失败次数过多，请 {minutes} 分钟后再试。",
        "Too many failed logins; try again in {minutes} minutes.",
    ),
    "error.user_exists": ("用户名 {username} 已存在。", "The user name {username} is taken."),
    "error.user_unknown": ("没有用户 {username}。", "There is no user {username}."),
    "error.bad_role": ("未知角色：{role}。", "Unknown role: {role}."),
    "error.subdistrict_required": (
        "街道角色必须绑定一个街道。",
        "A subdistrict account must be bound to one subdistrict.",
    ),
    "error.unknown_subdistrict": ("未知街道代码：{code}。", "Unknown subdistrict code: {code}."),
    "error.weak_password": ("密码至少需要 {n} 个字符。", "The password needs at least {n} characters."),
    "error.not_found": ("未找到记录：{what}。", "Record not found: {what}."),
    "error.progress_out_of_range": (
        "完成百分比须在 0 到 100 之间（填报值 {percent}）。",
        "The percent complete must lie between 0 and 100 (got {percent}).",
    ),
    "error.progress_backwards": (
        "进度不能倒退：上次填报（{on}）为 {last}%，本次为 {percent}%。如属更正，请由区文明办勾选“更正”。",
        "Progress cannot go backwards: the last report ({on}) says {last}%, this one {percent}%. If this is a correction, the civilization office must mark it so.",
    ),
    "error.stage_backwards": (
        "阶段不能倒退：当前为“{current}”，本次填报为“{stage}”。如属更正，请由区文明办勾选“更正”。",
        "The stage cannot go back from '{current}' to '{stage}'. If this is a correction, the civilization office must mark it so.",
    ),
    "error.progress_stage_mismatch": (
        "阶段与进度不符：“已完工”须为 100%，100% 须选“已完工”。",
        "Stage and percent disagree: 'completed' needs 100 %, and 100 % needs 'completed'.",
    ),
    "error.progress_date_order": (
        "填报日期 {day} 早于该工程最近一次填报（{last}）。",
        "The report date {day} is before the project's latest report ({last}).",
    ),
    "error.drawings_after_start": (
        "施工图完成日期 {day} 晚于开工日期 {start}。",
        "The drawings date {day} lies after construction started on {start}.",
    ),
    "error.progress_date_future": ("填报日期 {day} 晚于今天。", "The report date {day} lies in the future."),
    "error.stale_edit": (
        "该记录已被 {who} 于 {at} 修改，请刷新后重试。",
        "This record was changed by {who} at {at}; reload and try again.",
    ),
    "error.required_field": ("请填写：{field}。", "Please fill in: {field}."),
    "error.submit_needs_evidence": (
        "提交整改需同时填写整改说明并上传整改后照片。",
        "Submitting needs both a note on the rectification and an after-photo.",
    ),
    "error.reject_needs_reason": ("退回整改需写明理由。", "Rejecting needs a reason."),
    "error.photo_type": (
        "照片格式不支持：只接受 JPEG、PNG、WebP。",
        "Unsupported photo format: only JPEG, PNG and WebP are accepted.",
    ),
    "error.photo_too_large": (
        "照片过大（{size_mb} MB），上限为 {limit_mb} MB。",
        "The photo is too large ({size_mb} MB); the limit is {limit_mb} MB.",
    ),
    "error.photo_too_many_pixels": (
        "照片像素过多（{width}×{height}，约 {megapixels} 百万像素），上限为 {limit_mp} 百万像素；请缩小后再上传。",
        "The photo has too many pixels ({width}×{height}, {megapixels} megapixels); the limit is {limit_mp} megapixels. Scale it down and upload it again.",
    ),
    "error.photo_unreadable": ("照片文件已损坏或无法识别。", "The photo file is damaged or cannot be read."),
    "error.photo_not_stored": (
        "照片未在照片库中找到，请重新上传。",
        "The photo is not in the photo store; upload it again.",
    ),
    "error.site_wrong_subdistrict": (
        "点位 {site} 不属于所选街道。",
        "The site {site} does not belong to the chosen subdistrict.",
    ),
    "error.point_outside_subdistrict": (
        "坐标 ({lat}, {lon}) 不在本街道范围内。",
        "The point ({lat}, {lon}) lies outside your subdistrict.",
    ),
    "error.bad_transition": (
        "问题状态为“{state}”，不能执行“{action}”。",
        "The problem is '{state:lower}'; '{action}' is not possible now.",
    ),
    "error.invalid_value": ("无效的值：{field}（{detail}）。", "Invalid value: {field} ({detail})."),
    "error.outside_district": (
        "坐标 ({lat}, {lon}) 不在和平区范围内，请检查坐标系（WGS-84 / GCJ-02 / BD-09）。",
        "The point ({lat}, {lon}) lies outside Heping District; check its datum (WGS-84 / GCJ-02 / BD-09).",
    ),
    "error.bad_week": (
        "无效的周次：{week}（格式如 2026-W48）。",
        "Invalid week: {week} (use the form 2026-W48).",
    ),
    "error.meeting_closed": (
        "{week} 周调度会已结束，记录不可更改。",
        "The {week} meeting is closed; its record cannot change.",
    ),
    "error.meeting_not_open": ("{week} 周调度会尚未开始。", "The {week} meeting has not been opened."),
    "error.bad_item_status": ("未知的事项状态：{status}。", "Unknown item status: {status}."),
    "error.market_score_range": (
        "检查项“{item}”的得分 {score} 须在 0 到 {max} 之间。",
        "The score {score} of the item '{item}' must lie between 0 and {max}.",
    ),
    "error.inspection_exists": (
        "{market}在 {day} 已有{inspector}的一条相同{kind}记录（总分相同），不能重复录入。",
        "The same {kind} of {market} by {inspector} on {day} (same total) is already recorded; it cannot be recorded twice.",
    ),
    "error.progress_exists": (
        "工程 {project} 在 {day} 已有一条相同的进度填报（{percent}%，{stage}），不能重复录入。",
        "The project {project} already has the same progress report on {day} ({percent} %, {stage}); it cannot be recorded twice.",
    ),
    "error.activity_exists": (
        "{team}在 {day} 于“{place}”的活动“{title}”已有记录，不能重复录入。",
        "The activity '{title}' of {team} at '{place}' on {day} is already recorded; it cannot be recorded twice.",
    ),
    "error.market_scores_missing": (
        "以下检查项未打分：{items}。",
        "These checklist items have no score: {items}.",
    ),
    "error.market_unknown_item": ("未知检查项：{item}。", "Unknown checklist item: {item}."),
    "error.market_date_future": (
        "检查日期 {day} 晚于今天。",
        "The inspection date {day} lies in the future.",
    ),
    "error.market_inspector_required": ("请填写检查人。", "Please name the inspector."),
    # --- the live feed (civdata/io/simulate.py) ---
    "error.simulate_no_data": (
        "数据库中没有可供模拟的数据（街道、点位、问题类别）。请先运行 python -m civdata load-sample。",
        "The database holds nothing to simulate on (subdistricts, sites, problem classes). Run python -m civdata load-sample first.",
    ),
    # --- imports (civdata/io/importers.py) ---
    "error.import_file_type": (
        "文件类型不支持：{name}。只接受 CSV（.csv）或 Excel（.xlsx）文件。",
        "Unsupported file type: {name}. Only CSV (.csv) or Excel (.xlsx) files are accepted.",
    ),
    "error.import_file_empty": (
        "文件 {name} 是空的，没有数据行。",
        "The file {name} is empty: it has no data rows.",
    ),
    "error.import_file_too_large": (
        "文件过大（{size_mb} MB），上限为 {limit_mb} MB，请拆分后分批导入。",
        "The file is too large ({size_mb} MB); the limit is {limit_mb} MB. Split it.",
    ),
    "error.import_sheet_missing": (
        "工作簿中没有“{expected}”工作表（现有：{found}）。请使用模板。",
        "The workbook has no sheet named '{expected}' (found: {found}). Use the template.",
    ),
    "error.import_no_header": (
        "找不到表头行：前 {rows} 行中没有可识别的列名（应有：{expected}）。",
        "No header row found in the first {rows} rows (expected columns: {expected}).",
    ),
    "error.import_unknown_columns": (
        "未知的列：{columns}。请使用模板中的列名。",
        "Unknown columns: {columns}. Use the template's column names.",
    ),
    "error.import_missing_columns": (
        "缺少必填列：{columns}。",
        "Required columns are missing: {columns}.",
    ),
    "error.import_duplicate_column": ("列“{column}”出现了两次。", "The column '{column}' appears twice."),
    "error.import_bad_date": (
        "无法识别的日期：{value}（可用 2022-08-05、2022/8/5、2022年8月5日或 Excel 日期）。",
        "Unreadable date: {value} (use 2022-08-05, 2022/8/5, 2022年8月5日 or an Excel date).",
    ),
    "error.import_bad_number": ("不是有效的数字：{value}。", "Not a valid number: {value}."),
    "error.import_bad_whole": ("须为整数：{value}。", "Must be a whole number: {value}."),
    "error.import_bad_choice": (
        "无效的取值：{value}（可选：{choices}）。",
        "Invalid value: {value} (choose from: {choices}).",
    ),
    "error.import_unknown_code": ("未知的{what}代码：{value}。", "Unknown {what} code: {value}."),
    "error.import_duplicate_row": ("与第 {first} 行重复。", "Duplicates row {first}."),
    "error.import_file_damaged": (
        "文件 {name} 已损坏，无法作为 Excel 工作簿打开。请在 Excel 中打开并另存为 .xlsx 后重试。",
        "The file {name} is damaged: it cannot be opened as an Excel workbook. Open it in Excel, save it again as .xlsx and retry.",
    ),
    "error.import_old_xls": (
        "文件 {name} 是旧版 Excel（.xls）或加密的工作簿。请在 Excel 中“另存为” Excel 工作簿（.xlsx，不加密码）后导入。",
        "The file {name} is an old-format Excel file (.xls) or a password-protected workbook. Save it in Excel as an Excel Workbook (.xlsx, no password) and import that.",
    ),
    "error.import_xlsx_named_csv": (
        "文件 {name} 的内容是 Excel 工作簿，但文件名以 .csv 结尾。请把扩展名改为 .xlsx，或在 Excel 中另存为 CSV。",
        "The file {name} holds an Excel workbook but its name ends in .csv. Rename it to .xlsx, or save it from Excel as CSV.",
    ),
    "error.import_not_text": (
        "文件 {name} 不是文本表格（CSV），看起来是二进制文件（如图片或压缩包）。请上传 CSV 或 .xlsx 文件。",
        "The file {name} is not a text table (CSV): it looks like a binary file (an image or an archive, say). Upload a CSV or .xlsx file.",
    ),
    "error.import_csv_unreadable": (
        "文件 {name} 无法按 CSV 读取（{detail}），未写入任何数据。请确认它是用逗号分隔的表格。",
        "The file {name} cannot be read as CSV ({detail}); nothing was written. Check that it is a comma-separated table.",
    ),
    "error.import_cell_too_long": (
        "文件 {name} 中有一个单元格超过 {limit} 个字符，这不是一张正常的表格，未写入任何数据。",
        "A cell of {name} is longer than {limit} characters: this is not a usual table; nothing was written.",
    ),
    "error.import_unreadable": (
        "文件 {name} 无法读取（{detail}），未写入任何数据。",
        "The file {name} cannot be read ({detail}); nothing was written.",
    ),
    "error.import_duplicate_key": (
        "第 {row} 行与第 {first} 行的{key}相同（{value}），但其余内容不同；同一条记录在文件中只能出现一次。",
        "Rows {first} and {row} have the same {key} ({value}) but different contents; one record may appear only once in a file.",
    ),
    "error.import_conflict": (
        "数据库中已有{what}（{value}），内容与本行不同；请核对后在页面中修改，而不是重复导入。",
        "The database already holds the {what} ({value}) with different contents; check it and change it on its page rather than importing it again.",
    ),
    "error.import_already_rows": (
        "第 {rows} 行已导入过（与数据库中的记录相同），未重复写入。",
        "Rows {rows} were already imported (identical records are in the database) and were not written again.",
    ),
    "error.import_summary": (
        "{kind}：{verb} {written} 行，共 {rows} 行（新增 {created}，更新 {updated}，已导入过 {already}，跳过 {skipped}）",
        "{kind}: {verb} {written} of {rows} rows ({created} new, {updated} updated, {already} already imported, {skipped} skipped)",
    ),
    "error.import_datum_suspect": (
        "坐标离{what} {ref} 有 {raw_m} 米，按 {datum} 换算后只差 {conv_m} 米：这些坐标看起来是{datum}坐标，不是 WGS-84。请选择坐标系（导入设置或“坐标系”列）后重新导入。",
        "The point lies {raw_m} m from its {what} {ref}, but only {conv_m} m after a {datum} conversion: the coordinates look like {datum} ones, not WGS-84. Choose the coordinate system (the import setting or a 'datum' column) and import again.",
    ),
    "error.import_datum_suspect_file": (
        "文件中 {n} 行（共 {m} 行可核对）的坐标都偏离所属点位或社区约 {raw_m} 米，按 {datum} 换算后只差约 {conv_m} 米：整个文件看起来是{datum}坐标。请选择坐标系后重新导入。",
        "{n} of the {m} rows that can be checked lie about {raw_m} m from their site or community, but about {conv_m} m after a {datum} conversion: the whole file looks like {datum} coordinates. Choose the coordinate system and import again.",
    ),
    "error.import_lat_impossible": (
        "纬度 {lat} 不可能（纬度只能在 -90 到 90 之间）。",
        "A latitude of {lat} is impossible (latitudes lie between -90 and 90).",
    ),
    "error.import_lat_lon_swapped": (
        "纬度 {lat} 不可能（纬度只能在 -90 到 90 之间）；经度 {lon} 像是纬度：“纬度”和“经度”两列似乎填反了。",
        "A latitude of {lat} is impossible (latitudes lie between -90 and 90), and the longitude {lon} looks like a latitude: the latitude and longitude columns look swapped.",
    ),
    "error.import_total_row": (
        "这是合计行（“{word}”），不是一条记录。请删除合计行后重新导入。",
        "This is a total row ('{word}'), not a record. Delete the total row and import again.",
    ),
    "error.import_formula_no_value": (
        "单元格是公式，但文件中没有保存计算结果。请在 Excel 中打开并保存该文件后再导入。",
        "The cell holds a formula without a saved value. Open the file in Excel, save it, and import it again.",
    ),
    "error.import_unknown_name": ("未知的{what}名称：{value}。", "Unknown {what} name: {value}."),
    "error.import_refused": (
        "文件有 {issues} 处问题（涉及 {bad_rows} 行，共 {rows} 行），未写入任何数据。",
        "The file has {issues} problems in {bad_rows} of {rows} rows; nothing was written.",
    ),
    # --- backup and restore (civdata/io/backup.py) ---
    "error.backup_no_schema": (
        "数据库中没有可备份的表，请先运行 python -m civdata init-db。",
        "The database has no tables to back up; run `python -m civdata init-db` first.",
    ),
    "error.backup_unsupported_type": (
        "无法备份的列类型：{type}。",
        "A column type the backup cannot write: {type}.",
    ),
    "error.backup_write_failed": (
        "无法写入备份文件 {path}：{detail}。",
        "Cannot write the backup file {path}: {detail}.",
    ),
    "error.backup_not_found": ("找不到备份文件：{path}。", "No backup file at {path}."),
    "error.backup_not_archive": (
        "{path} 不是备份文件（不是可读取的 .tar.gz 压缩包），未恢复任何数据。",
        "{path} is not a backup (not a readable .tar.gz archive); nothing was restored.",
    ),
    "error.backup_no_manifest": (
        "{path} 中没有 manifest.json，不是由 python -m civdata backup 生成的备份，未恢复任何数据。",
        "{path} has no manifest.json: it was not written by `python -m civdata backup`; nothing was restored.",
    ),
    "error.backup_bad_manifest": (
        "{path} 的 manifest.json 无法读取（{detail}），未恢复任何数据。",
        "The manifest.json of {path} is unreadable ({detail}); nothing was restored.",
    ),
    "error.backup_newer_format": (
        "{path} 的备份格式版本为 {found}，本程序只能读取 {supported} 及以下版本；请用更新版本的程序恢复。",
        "{path} has backup format {found}; this version reads up to {supported}. Restore it with a newer version of the dashboard.",
    ),
    "error.backup_unknown_revision": (
        "备份的数据库结构版本 {revision} 不为本程序所知（已知：{known}）；请用生成该备份的版本或更新版本恢复，未恢复任何数据。",
        "The backup's schema revision {revision} is unknown to this version (known: {known}); restore it with the version that wrote it or a newer one. Nothing was restored.",
    ),
    "error.backup_checksum": (
        "备份文件已损坏：{member} 与清单中的校验和不符，未恢复任何数据。",
        "The backup is damaged: {member} does not match its checksum in the manifest; nothing was restored.",
    ),
    "error.backup_bad_member": (
        "备份文件已损坏：{member}（{detail}），未恢复任何数据。",
        "The backup is damaged: {member} ({detail}); nothing was restored.",
    ),
    "error.restore_not_empty": (
        "目标数据库中已有数据，未做任何改动；如需覆盖，请先备份它，再加 --replace。",
        "The target database already holds data and was left unchanged; to overwrite it, back it up first, then add --replace.",
    ),
    "error.restore_schema_mismatch": (
        "目标数据库的结构与备份不符：{table} {column}，已回滚。",
        "The target database's schema does not match the backup at {table} {column}; rolled back.",
    ),
    "error.restore_failed": (
        "恢复失败，已回滚，数据库中未写入任何数据：{detail}",
        "The restore failed and was rolled back; nothing was written: {detail}",
    ),
    "error.backup_unsigned": (
        "{path} 的清单没有签名（可能来自旧版本），未恢复任何数据。确认文件来源可信后，可加 --allow-unsigned 恢复。",
        "The manifest of {path} is not signed (an archive of an older version?); nothing was restored. If you trust where the file comes from, add --allow-unsigned.",
    ),
    "error.backup_bad_signature": (
        "{path} 的清单签名不符：清单在签名后被改动过，未恢复任何数据。",
        "The manifest of {path} does not match its signature: it was changed after it was signed; nothing was restored.",
    ),
    "error.backup_other_key": (
        "{path} 由另一套系统签名（密钥 {found}，本系统为 {ours}），未恢复任何数据。请在本系统使用相同的 CIVDATA_SECRET，或确认文件来源可信后加 --allow-unsigned。",
        "{path} was signed by another installation (key {found}; this one is {ours}); nothing was restored. Give this installation the same CIVDATA_SECRET, or, if you trust where the file comes from, add --allow-unsigned.",
    ),
    # --- evaluation readiness (issue 19) ---
    "error.eval_no_edition": (
        "尚未导入测评体系，请先在“数据”页导入测评体系模板。",
        "No evaluation system is loaded yet; import the evaluation-system template first.",
    ),
    "error.eval_edition_exists": (
        "测评体系版本 {edition} 已导入；修订请使用新的版本号。",
        "The evaluation system edition {edition} is already loaded; give a revision a new edition code.",
    ),
    "error.eval_one_edition": (
        "一个文件只能包含一个测评体系版本（发现：{editions}）。",
        "A file may hold one edition only (found: {editions}).",
    ),
    "error.eval_points_sum": (
        "{kind}指标合计 {total} 分，应为 {expected} 分。",
        "The {kind} indicators add up to {total} points; they must add up to {expected}.",
    ),
    "error.eval_points_positive": (
        "分值须大于 0（填写的是 {value}）。",
        "Points must be above 0 (got {value}).",
    ),
    "error.eval_inconsistent": (
        "{what} {code} 在第 {first} 行的名称或归属与本行不同。",
        "{what} {code} has a different name or parent on row {first}.",
    ),
    "error.eval_onsite_needs_category": (
        "实地考察类测评内容须填写适用的点位类别。",
        "An on-site content needs the site categories it applies to.",
    ),
    "error.eval_question_not_survey": (
        "只有问卷调查类测评内容可以填写问卷题目。",
        "Only a survey content may name a questionnaire question.",
    ),
    "error.eval_unknown_question": ("未知的问卷题目：{code}。", "Unknown questionnaire question: {code}."),
    "error.eval_bad_answer": (
        "无法识别的回答：{value}（填 是/否 或留空）。",
        "Unreadable answer: {value} (use yes/no or leave it blank).",
    ),
    "error.eval_community_mismatch": (
        "社区 {community} 不属于街道 {subdistrict}。",
        "The community {community} is not in {subdistrict}.",
    ),
    "error.eval_no_answers": ("该问卷没有任何回答。", "The questionnaire has no answers."),
    "error.site_item_unknown": (
        "该类别检查表中没有检查项：{item}。",
        "The category's checklist has no item {item}.",
    ),
    "error.site_items_missing": (
        "以下检查项未填写：{items}。",
        "These checklist items have no result: {items}.",
    ),
    "error.site_item_range": (
        "检查项 {item} 的得分 {score} 须在 0 到 {max} 之间。",
        "The score {score} of item {item} must lie between 0 and {max}.",
    ),
    "error.site_no_checklist": (
        "点位类别 {category} 还没有检查表。",
        "The site category {category} has no checklist yet.",
    ),
    "error.inspection_future": ("检查时间 {at} 晚于现在。", "The inspection time {at} lies in the future."),
    "error.inspection_source": (
        "未知的检查来源：{source}（自查、第三方、暗访抽查）。",
        "Unknown inspection source: {source} (self_check, third_party, spot_check).",
    ),
    "error.round_no_inspectors": ("请至少指定一名检查人员。", "Name at least one inspector."),
    "error.round_bad_size": (
        "抽样数量须在 1 到 {max} 之间（填写的是 {value}）。",
        "The sample size must lie between 1 and {max} (got {value}).",
    ),
    "error.material_type": (
        "材料格式不支持：只接受 PDF、JPEG、PNG、Word（.docx）、Excel（.xlsx）。",
        "Unsupported file: only PDF, JPEG, PNG, Word (.docx) and Excel (.xlsx) files are accepted.",
    ),
    "error.material_too_large": (
        "材料文件过大（{size_mb} MB），上限为 {limit_mb} MB。",
        "The file is too large ({size_mb} MB); the limit is {limit_mb} MB.",
    ),
    "error.material_empty": ("材料文件是空的。", "The file is empty."),
    "error.material_not_submitted": (
        "该材料当前状态为“{status}”，没有待审核的版本。",
        "The material is '{status}': there is no version waiting for review.",
    ),
    "error.material_return_reason": ("退回材料须写明理由。", "Returning a material needs a reason."),
}
