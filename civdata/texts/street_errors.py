"""Messages of the reports from the street (issue 20): CivDataError(code) shows "error.<code>"."""

TEXTS = {
    "error.street_photo_required": (
        "请先拍照或选择一张照片：上报问题必须附照片。",
        "Take or choose a photo first: a report needs one.",
    ),
    "error.street_photo_type": (
        "不支持的照片格式：只接受 JPEG、PNG、WebP 和 HEIC。",
        "Unsupported photo format: only JPEG, PNG, WebP and HEIC are accepted.",
    ),
    "error.street_no_location": (
        "没有位置：请允许手机定位，或使用带 GPS 信息的照片，或在地图上点选位置。",
        "No location: allow the phone's location, use a photo with GPS data, or tap the place "
        "on the map.",
    ),
    "error.street_problem_closed": (
        "问题 {code} 已销号，不能再确认；如问题再次出现，请重新上报。",
        "Problem {code} is closed and cannot be confirmed; report it again if it is back.",
    ),
}
