"""Messages (zh/en) of the evaluation-readiness modules (issue 19), merged into errors.MESSAGES."""

from __future__ import annotations

EVAL_MESSAGES: dict[str, dict[str, str]] = {
    "eval_no_edition": {
        "zh": "尚未导入测评体系，请先在“数据”页导入测评体系模板。",
        "en": "No evaluation system is loaded yet; import the evaluation-system template first.",
    },
    "eval_edition_exists": {
        "zh": "测评体系版本 {edition} 已导入；修订请使用新的版本号。",
        "en": "The evaluation system edition {edition} is already loaded; give a revision a "
        "new edition code.",
    },
    "eval_one_edition": {
        "zh": "一个文件只能包含一个测评体系版本（发现：{editions}）。",
        "en": "A file may hold one edition only (found: {editions}).",
    },
    "eval_points_sum": {
        "zh": "{kind}指标合计 {total} 分，应为 {expected} 分。",
        "en": "The {kind} indicators add up to {total} points; they must add up to {expected}.",
    },
    "eval_points_positive": {"zh": "分值须大于 0（填写的是 {value}）。",
                             "en": "Points must be above 0 (got {value})."},
    "eval_inconsistent": {
        "zh": "{what} {code} 在第 {first} 行的名称或归属与本行不同。",
        "en": "{what} {code} has a different name or parent on row {first}.",
    },
    "eval_onsite_needs_category": {
        "zh": "实地考察类测评内容须填写适用的点位类别。",
        "en": "An on-site content needs the site categories it applies to.",
    },
    "eval_unknown_question": {"zh": "未知的问卷题目：{code}。",
                              "en": "Unknown questionnaire question: {code}."},
    "eval_bad_answer": {"zh": "无法识别的回答：{value}（填 是/否 或留空）。",
                        "en": "Unreadable answer: {value} (use yes/no or leave it blank)."},
    "eval_community_mismatch": {"zh": "社区 {community} 不属于街道 {subdistrict}。",
                                "en": "The community {community} is not in {subdistrict}."},
    "eval_no_answers": {"zh": "该问卷没有任何回答。", "en": "The questionnaire has no answers."},
    "site_item_unknown": {"zh": "该类别检查表中没有检查项：{item}。",
                          "en": "The category's checklist has no item {item}."},
    "site_items_missing": {"zh": "以下检查项未填写：{items}。",
                           "en": "These checklist items have no result: {items}."},
    "site_item_range": {"zh": "检查项 {item} 的得分 {score} 须在 0 到 {max} 之间。",
                        "en": "The score {score} of item {item} must lie between 0 and {max}."},
    "site_no_checklist": {"zh": "点位类别 {category} 还没有检查表。",
                          "en": "The site category {category} has no checklist yet."},
    "inspection_future": {"zh": "检查时间 {at} 晚于现在。",
                          "en": "The inspection time {at} lies in the future."},
    "inspection_source": {"zh": "未知的检查来源：{source}（自查、第三方、暗访抽查）。",
                          "en": "Unknown inspection source: {source} (self_check, "
                          "third_party, spot_check)."},
    "round_no_inspectors": {"zh": "请至少指定一名检查人员。",
                            "en": "Name at least one inspector."},
    "round_bad_size": {"zh": "抽样数量须在 1 到 {max} 之间（填写的是 {value}）。",
                       "en": "The sample size must lie between 1 and {max} (got {value})."},
    "material_type": {
        "zh": "材料格式不支持：只接受 PDF、JPEG、PNG、Word（.docx）、Excel（.xlsx）。",
        "en": "Unsupported file: only PDF, JPEG, PNG, Word (.docx) and Excel (.xlsx) files are "
        "accepted.",
    },
    "material_too_large": {"zh": "材料文件过大（{size_mb} MB），上限为 {limit_mb} MB。",
                           "en": "The file is too large ({size_mb} MB); the limit is "
                           "{limit_mb} MB."},
    "material_empty": {"zh": "材料文件是空的。", "en": "The file is empty."},
    "material_not_submitted": {
        "zh": "该材料当前状态为“{status}”，没有待审核的版本。",
        "en": "The material is '{status}': there is no version waiting for review.",
    },
    "material_return_reason": {"zh": "退回材料须写明理由。",
                               "en": "Returning a material needs a reason."},
}
