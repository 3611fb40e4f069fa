"""Texts of the phone page /report (issue 20): reporting from the street and my tasks."""

TEXTS = {
    "nav.report": ("随手拍上报", "Report from the street"),
    "report.title": ("随手拍上报", "Report from the street"),
    "report.tab.new": ("上报问题", "Report"),
    "report.tab.tasks": ("我的任务", "My tasks"),
    # location
    "report.locate": ("获取手机定位", "Use my location"),
    "report.locating": ("正在定位…", "Locating…"),
    "report.geo.denied": ("未获得手机定位（未授权或不可用），将使用照片中的 GPS 或地图点选。",
                          "No location from the phone (denied or unavailable); the photo's GPS "
                          "or a tap on the map is used instead."),
    "report.loc.device": ("手机定位，精度约 ±{accuracy} 米", "Phone location, accurate to about "
                                                            "±{accuracy} m"),
    "report.loc.exif": ("照片 GPS 信息", "The photo's GPS data"),
    "report.loc.tap": ("地图点选", "Tapped on the map"),
    "report.loc.none": ("还没有位置：请允许定位、使用带 GPS 的照片，或在下方地图上点选。",
                        "No location yet: allow the phone's location, use a photo with GPS "
                        "data, or tap the map below."),
    "report.loc.source": ("位置来源：{source}", "Location from: {source}"),
    "report.loc.point": ("坐标（WGS-84）：{lat}, {lon}", "Point (WGS-84): {lat}, {lon}"),
    "report.tap.title": ("在地图上点选位置", "Tap the place on the map"),
    "report.tap.help": ("先点选大致区域，地图会放大，再点选准确位置（约 10 米）。",
                        "Tap the area first; the map zooms in; then tap the exact place "
                        "(about 10 m)."),
    "report.tap.again": ("重新点选", "Pick again"),
    # place
    "report.place.subdistrict": ("街道", "Subdistrict"),
    "report.place.community": ("社区", "Community"),
    "report.place.site": ("最近测评点位", "Nearest evaluation site"),
    "report.place.site_value": ("{name}（{distance} 米）", "{name} ({distance} m)"),
    "report.place.within": ("在点位 {radius} 米范围内", "Within the site's {radius} m"),
    "report.place.outside": ("不在点位 {radius} 米范围内", "Outside the site's {radius} m"),
    # photo
    "report.photo": ("现场照片（必填）", "Photo (required)"),
    "report.photo.mode": ("照片来源", "Photo from"),
    "report.photo.file": ("拍照 / 相册", "Camera or gallery"),
    "report.photo.camera": ("网页相机", "In-page camera"),
    "report.photo.help": ("支持 JPEG、PNG、WebP、HEIC；上传后缩小到长边 1600 像素，并删除 EXIF 信息。",
                          "JPEG, PNG, WebP or HEIC; stored at 1600 px on the long side, without "
                          "its EXIF data."),
    "report.photo.taken": ("拍摄时间：{at}", "Taken: {at}"),
    "report.photo.ok": ("照片已检查：{width}×{height} 像素", "Photo checked: {width}×{height} px"),
    # class and text
    "report.class": ("问题类别", "Class"),
    "report.description": ("问题描述", "Description"),
    "report.description.placeholder": ("简要说明问题，例如：路边垃圾堆放",
                                       "Say briefly what is wrong, e.g. rubbish piled at the "
                                       "kerb"),
    # duplicates
    "report.dups.title": ("附近 50 米内已有同类问题", "Open problems of this class within 50 m"),
    "report.dups.help": ("如果是同一个问题，请点“同一问题”：照片会作为确认加到已有问题上，不会重复立案。",
                         "If it is the same problem, press \"Same problem\": the photo joins the "
                         "existing problem as a confirmation, and no duplicate is filed."),
    "report.dups.none": ("附近 50 米内没有同类的未结问题。",
                         "No open problem of this class within 50 m."),
    "report.dups.item": ("{code} · {distance} 米 · {age}", "{code} · {distance} m · {age}"),
    "report.dups.confirmations": ("已确认 {n} 次", "confirmed {n} times"),
    "report.same": ("同一问题", "Same problem"),
    "report.confirmed": ("已作为确认加入问题 {code}（共确认 {n} 次），未新建问题。",
                         "Added to problem {code} as a confirmation ({n} in all); no new problem "
                         "was filed."),
    "report.submit": ("上报新问题", "File a new problem"),
    "report.reported": ("已上报问题 {code}。", "Problem {code} filed."),
    "report.need.photo": ("请先添加照片。", "Add a photo first."),
    "report.age.hours": ("{n} 小时前发现", "found {n} h ago"),
    "report.age.days": ("{n} 天前发现", "found {n} d ago"),
    "report.card_confirmations": ("随手拍确认 {n} 次", "Confirmed {n} times from the street"),
    # my tasks
    "report.tasks.none": ("当前没有待办任务。", "No tasks for you right now."),
    "report.tasks.count": ("共 {n} 项，{order}", "{n} tasks, {order}"),
    "report.tasks.by_distance": ("按距离由近到远", "nearest first"),
    "report.tasks.by_deadline": ("按期限排序（未获得定位）", "by deadline (no location)"),
    "report.tasks.pick": ("处理任务", "Work on"),
    "report.left.hours": ("剩余 {n} 小时", "{n} h left"),
    "report.left.days": ("剩余 {n} 天", "{n} d left"),
    "report.over.hours": ("已超期 {n} 小时", "{n} h overdue"),
    "report.over.days": ("已超期 {n} 天", "{n} d overdue"),
    "report.no_deadline": ("未设期限", "no deadline"),
    "report.distance": ("{n} 米", "{n} m"),
    "report.returned": ("复核退回：{reason}", "Returned by review: {reason}"),
    "report.passed": ("复核通过", "Passed review"),
    "report.start": ("开始整改", "Start"),
    "report.started": ("问题 {code} 已开始整改。", "Started work on {code}."),
    "report.rectify_note": ("整改说明", "What was done"),
    "report.rectify": ("提交整改", "Submit the rectification"),
    "report.rectified": ("问题 {code} 已提交复核。", "Problem {code} sent for review."),
    "report.waiting": ("已提交，等待复核。", "Submitted; awaiting review."),
    "report.outcomes": ("近 7 天的复核结果", "Review outcomes of the last 7 days"),
    "report.outcomes.none": ("近 7 天没有复核结果。", "No review outcomes in the last 7 days."),
}
