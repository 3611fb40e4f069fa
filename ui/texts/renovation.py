"""Texts of the renovation page."""

TEXTS = {
    'renovation.title': ('改造工程进度',
                         'Renovation progress'),
    'renovation.what': ('老旧小区、背街小巷、精品街路、重点街路分批进度、计划与实际、甘特图。',
                        'Old compounds, back streets, boutique streets and key roads by batch: progress, plan against actual, timeline.'),
}
