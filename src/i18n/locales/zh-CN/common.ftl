# 各邮件共用的文字：标签、数量，以及 API 枚举值的中文说法。
# Words every message shares: labels, counts, and the API's enum values as
# a reader says them.

email-footer = 您收到此邮件，是因为您在 crowdfund 平台注册了账户。投资有风险，投资需谨慎：投资非上市公司股权风险较高，您可能损失全部投资本金。

# 中文无复数形式，$count 不再用于选择。
shares = { $shares } 股
fee-with-rate = { $fee }（{ $percent }%）

label-date = 日期
label-offering = 项目
label-security = 证券类型
label-price-per-share = 每股价格
label-shares = 股数
label-shares-allotted = 已分配股份
label-amount = 金额
label-amount-returned = 退回账户金额
label-reference = 参考编号
label-raised = 募集金额
label-platform-fee = 平台服务费
label-payout = 您的实收款项
label-document = 文件
label-version = 版本
label-deadline = 截止时间

button-view-offering = 查看项目
button-read-documents = 查阅项目文件
button-read-online = 在线阅读
button-read-thread = 查看讨论

security-common_equity = 普通股
security-preferred_equity = 优先股
security-convertible_note = 可转换票据
security-safe = 未来股权简单协议（SAFE）
security-revenue_share = 收益分成
security-debt = 债权

status-draft = 草稿
status-in_review = 审核中
status-open = 募集中
status-funded = 募集成功
status-failed = 募集失败
status-cancelled = 已取消
status-settled = 已结算
status-refunded = 已退款

document-offering_memorandum = 募集说明书
document-financial_statements = 财务报表
document-pitch_deck = 项目路演材料
document-subscription_agreement = 认购协议
document-other = 文件

# 202 答复中的提示（无论该地址是否对应账户，提示均相同）。
notice-verification-resent = 如该地址对应一个尚未验证的账户，新的验证链接已发送。
notice-password-reset-requested = 如该地址对应一个账户，密码重置链接已发送。
