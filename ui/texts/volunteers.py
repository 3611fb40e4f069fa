"""Texts of the volunteers page."""

TEXTS = {
    'volunteers.title': ('志愿服务与文明实践',
                         'Volunteers and civilization practice'),
    'volunteers.what': ('志愿队伍、活动、社区与点位覆盖及空白。',
                        'Teams, activities, coverage of communities and sites, and the gaps.'),
}
