"""Texts of the login gate, the audit page and the users page."""

TEXTS = {
    "auth.title": ("登录", "Sign in"),
    "auth.subtitle": ("和平区文明城市创建指挥平台", "Heping District Civilized City Dashboard"),
    "auth.username": ("用户名", "User name"),
    "auth.password": ("密码", "Password"),
    "auth.sign_in": ("登录", "Sign in"),
    "auth.sign_out": ("退出登录", "Sign out"),
    "auth.sso": ("使用单点登录", "Sign in with single sign-on"),
    "auth.signed_in_as": ("当前用户：{name}（{role}）", "Signed in: {name} ({role})"),
    "auth.page_title": ("和平区文明城市创建指挥平台", "Heping Civilized City Dashboard"),
    "auth.page_refused": ("请先登录：此页面只对有权查看它的已登录账号显示。",
                          "Please sign in: this page is shown only to signed-in accounts that "
                          "may see it."),
    "auth.demo_banner": ("演示账号仍然存在：正式使用前请停用演示账号。",
                         "Demo accounts exist: disable them before real use."),
}
