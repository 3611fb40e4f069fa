"""Texts of messages (issue 21): the contacts page and the messages the sender sends."""

TEXTS = {
    # --- the contacts page ---
    "nav.contacts": ("消息联系人", "Contacts"),
    "contacts.title": ("消息联系人与发送", "Message contacts and delivery"),
    "contacts.what": (
        "为区、各街道和责任单位配置接收消息的渠道（邮件、企业微信群机器人、钉钉群机器人、通用 Webhook）。"
        "未配置渠道的对象不会收到任何消息。密钥和 Webhook 令牌只显示末四位。",
        "Configure where the district, each subdistrict and each responsible unit receive "
        "messages (e-mail, WeCom group robot, DingTalk group robot, generic webhook). A recipient "
        "without a channel receives nothing. Secrets and webhook tokens show only their last "
        "four characters."),
    "contacts.list": ("已配置的联系人", "Configured contacts"),
    "contacts.none": ("尚未配置联系人：目前不会发送任何消息。",
                      "No contact is configured yet: no message is sent."),
    "contacts.add": ("新增或修改联系人", "Add or change a contact"),
    "contacts.add_help": (
        "同一对象同一渠道只有一个联系人：再次保存即修改。密钥（或已有联系人的地址）留空则保留原值。"
        "Webhook 地址和密钥加密保存，只显示末四位。",
        "One contact per recipient and channel: saving again changes it. A blank secret (or the "
        "blank address of a stored contact) keeps the stored one. Webhook URLs and secrets are "
        "stored encrypted and show only their last four characters."),
    "contacts.scope": ("接收对象", "Recipient"),
    "contacts.scope.district": ("区（创城指挥部）", "District (headquarters)"),
    "contacts.scope.subdistrict": ("街道", "Subdistrict"),
    "contacts.scope.unit": ("责任单位", "Responsible unit"),
    "contacts.unit": ("责任单位名称", "Responsible unit name"),
    "contacts.channel": ("渠道", "Channel"),
    "contacts.channel.email": ("电子邮件", "E-mail"),
    "contacts.channel.wecom": ("企业微信群机器人", "WeCom group robot"),
    "contacts.channel.dingtalk": ("钉钉群机器人", "DingTalk group robot"),
    "contacts.channel.webhook": ("通用 Webhook", "Generic webhook"),
    "contacts.address": ("邮箱地址或 Webhook 地址", "E-mail address or webhook URL"),
    "contacts.secret": ("密钥（钉钉加签 / Webhook 签名，可空）",
                        "Secret (DingTalk signing / webhook signature, optional)"),
    "contacts.lang": ("消息语言", "Message language"),
    "contacts.active": ("启用", "Active"),
    "contacts.save": ("保存联系人", "Save contact"),
    "contacts.saved": ("联系人已保存。", "Contact saved."),
    "contacts.remove": ("删除联系人", "Remove a contact"),
    "contacts.remove_button": ("删除", "Remove"),
    "contacts.removed": ("联系人已删除。", "Contact removed."),
    "contacts.col.recipient": ("接收对象", "Recipient"),
    "contacts.col.channel": ("渠道", "Channel"),
    "contacts.col.address": ("地址", "Address"),
    "contacts.col.secret": ("密钥", "Secret"),
    "contacts.col.lang": ("语言", "Language"),
    "contacts.col.active": ("启用", "Active"),
    "contacts.col.updated_at": ("修改时间", "Changed"),
    "contacts.col.updated_by": ("修改人", "Changed by"),
    "contacts.outbox": ("发件箱", "Outbox"),
    "contacts.outbox.pending": ("待发送", "Waiting"),
    "contacts.outbox.sent": ("已发送", "Sent"),
    "contacts.outbox.failed": ("最终失败", "Finally failed"),
    "contacts.failed": ("最终失败的消息", "Messages that finally failed"),
    "contacts.failed_none": ("没有最终失败的消息。", "No message has finally failed."),
    "contacts.col.created_at": ("生成时间", "Created"),
    "contacts.col.kind": ("事件", "Event"),
    "contacts.col.subject": ("标题", "Subject"),
    "contacts.col.attempts": ("尝试次数", "Attempts"),
    "contacts.col.last_error": ("最后错误", "Last error"),
    "contacts.secret_set": ("已设置 {tail}", "set {tail}"),
    "contacts.unreadable": ("（无法解密）", "(cannot be decrypted)"),
    "error.notify_no_secret": (
        "未找到本系统的安装密钥（CIVDATA_SECRET 或 data/secret.key），无法加密保存渠道密钥和 "
        "Webhook 地址；请先配置安装密钥。未保存任何内容。",
        "The installation's secret (CIVDATA_SECRET or data/secret.key) is missing, so channel "
        "secrets and webhook URLs cannot be stored encrypted; set the secret first. Nothing was "
        "saved."),
    "error.notify_secret_unreadable": (
        "渠道密钥无法解密：它是用另一个安装密钥加密的（CIVDATA_SECRET 已更换？）。请重新填写该联系人的"
        "地址和密钥。",
        "A channel secret cannot be decrypted: it was encrypted with another installation secret "
        "(was CIVDATA_SECRET changed?). Enter the contact's address and secret again."),
    # --- the messages (subject, body); {placeholders} filled by civdata.io.notify.events ---
    "notify.kind.assigned": ("问题交办", "problem assigned"),
    "notify.kind.due_soon": ("24 小时内到期", "due within 24 h"),
    "notify.kind.overdue": ("问题逾期", "problem overdue"),
    "notify.kind.escalated": ("升级督办", "escalated"),
    "notify.kind.returned": ("整改退回", "rectification returned"),
    "notify.kind.material_returned": ("材料退回", "material returned"),
    "notify.kind.followup_due": ("会议事项到期", "follow-up due"),
    "notify.kind.daily": ("日报", "daily report"),
    "notify.msg.assigned.subject": ("【交办】{code} {class_name}", "[Assigned] {code} {class_name}"),
    "notify.msg.assigned.body": (
        "问题 {code}（{class_name}）已交办给{subdistrict}。\n\n- 描述：{description}\n- 点位：{site}\n"
        "- 责任单位：{unit}\n- 整改期限：{deadline}",
        "Problem {code} ({class_name}) was assigned to {subdistrict}.\n\n- Description: "
        "{description}\n- Site: {site}\n- Responsible unit: {unit}\n- Deadline: {deadline}"),
    "notify.msg.due_soon.subject": ("【即将到期】{code} {deadline}", "[Due soon] {code} {deadline}"),
    "notify.msg.due_soon.body": (
        "问题 {code}（{class_name}，{subdistrict}）将于 {deadline} 到期，尚未销号。\n\n- 描述：{description}\n"
        "- 点位：{site}\n- 责任单位：{unit}",
        "Problem {code} ({class_name}, {subdistrict}) is due at {deadline} and is not closed.\n\n"
        "- Description: {description}\n- Site: {site}\n- Responsible unit: {unit}"),
    "notify.msg.overdue.subject": ("【逾期】{code} {class_name}", "[Overdue] {code} {class_name}"),
    "notify.msg.overdue.body": (
        "问题 {code}（{class_name}，{subdistrict}）已超过整改期限 {deadline}，尚未销号。\n\n"
        "- 描述：{description}\n- 点位：{site}\n- 责任单位：{unit}",
        "Problem {code} ({class_name}, {subdistrict}) passed its deadline {deadline} and is not "
        "closed.\n\n- Description: {description}\n- Site: {site}\n- Responsible unit: {unit}"),
    "notify.msg.escalated.subject": ("【{rung}】{code} 逾期 {days} 天", "[{rung}] {code} {days} days overdue"),
    "notify.msg.escalated.body": (
        "问题 {code}（{class_name}，{subdistrict}）逾期已满 {days} 天（期限 {deadline}），升级为：{rung}。\n\n"
        "- 描述：{description}\n- 点位：{site}\n- 责任单位：{unit}",
        "Problem {code} ({class_name}, {subdistrict}) is {days} days past its deadline "
        "({deadline}) and reached the rung: {rung}.\n\n- Description: {description}\n- Site: "
        "{site}\n- Responsible unit: {unit}"),
    "notify.msg.returned.subject": ("【整改退回】{code}", "[Returned] {code}"),
    "notify.msg.returned.body": (
        "问题 {code}（{class_name}，{subdistrict}）的整改被 {who} 退回，请继续整改。\n\n- 退回理由：{note}\n"
        "- 整改期限：{deadline}",
        "The rectification of problem {code} ({class_name}, {subdistrict}) was returned by "
        "{who}; please continue.\n\n- Reason: {note}\n- Deadline: {deadline}"),
    "notify.msg.material_returned.subject": ("【材料退回】{title}", "[Material returned] {title}"),
    "notify.msg.material_returned.body": (
        "测评材料“{title}”（第 {version} 版，责任单位 {unit}）被 {who} 退回。\n\n- 退回理由：{note}\n"
        "- 提交期限：{deadline}",
        "The evaluation material '{title}' (version {version}, responsible unit {unit}) was "
        "returned by {who}.\n\n- Reason: {note}\n- Deadline: {deadline}"),
    "notify.msg.followup_due.subject": ("【会议事项到期】{due_on} {what}", "[Follow-up due] {due_on} {what}"),
    "notify.msg.followup_due.body": (
        "{week} 调度会事项将于 {due_on} 到期，尚未完成。\n\n- 事项：{what}\n- 责任人：{owner}",
        "A follow-up of the {week} meeting is due on {due_on} and is not done.\n\n- Item: "
        "{what}\n- Owner: {owner}"),
    "notify.msg.daily.subject": ("【创城日报】{day} {scope}", "[Daily report] {day} {scope}"),
    "notify.district": ("全区", "District"),
    "notify.none": ("—", "—"),
}
