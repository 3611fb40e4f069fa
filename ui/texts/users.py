"""Texts of the users page."""

TEXTS = {
    'users.title': ('用户管理',
                    'Users'),
    'users.what': ('账号、角色与所属街道。',
                   'Accounts, roles and subdistricts.'),
}
