"""Texts of the data page."""

TEXTS = {
    'data.title': ('数据导入与导出',
                   'Data import and export'),
    'data.what': ('模板下载、校验导入、导出。',
                  'Templates, validated imports, exports.'),
}
