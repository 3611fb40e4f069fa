"""Texts of the map page."""

TEXTS = {
    'map.title': ('测评点位地图',
                  'Evaluation-site map'),
    'map.what': ('381 个测评点位及其 300 米周边、范围内的问题、街道边界，可逐级下钻。',
                 'The 381 sites with their 300 m surroundings, the problems inside them and the subdistrict boundaries, with drill-down.'),
}
