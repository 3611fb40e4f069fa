"""Errors the data layer raises, with their messages in Chinese and English."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
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
    "stale_edit": {
        "zh": "该记录已被 {who} 于 {at} 修改，请刷新后重试。",
        "en": "This record was changed by {who} at {at}; reload and try again.",
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
}


class CivDataError(Exception):
    """A refused request: carries a message code and its parameters, shown in either language."""

    def __init__(self, code: str, **params: Any) -> None:
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
