# Problems of the domain layer.

# A field's refusal is the whole sentence, naming the field.

## src/domain/text.rs
problem-invalid_field-text-control = { $field } 不得包含控制字符或文字方向控制符
problem-invalid_field-text-invisible = { $field } 不得包含零宽空格等不可见字符
problem-invalid_field-text-too_long = { $field } 不得超过 { $max } 个字符
problem-invalid_field-text-required = { $field } 为必填项（且须包含可见字符）

## src/domain/money.rs
problem-invalid_field-amount-positive = { $field } 须为以最小货币单位计的正整数
problem-invalid_field-amount-too_large = { $field } 不得超过 { $max }
problem-invalid_field-non_negative = { $field } 须介于 0 与 { $max } 之间
problem-invalid_field-shares-positive = shares 须为正整数
problem-invalid_field-shares-cost = 认购金额（shares × 每股价格）过大

## src/domain/email.rs
problem-invalid_field-email-required = email 为必填项
problem-invalid_field-email-too_long = email 超过 254 个字符
problem-invalid_field-email-shape = email 格式应如 name@example.com
problem-invalid_field-email-local = email 中 @ 之前的部分无效
problem-invalid_field-email-domain = email 的域名无效

## src/domain/password.rs
problem-invalid_field-password-too_short = { $field } 至少须为 { $min } 个字符
problem-invalid_field-password-too_long = { $field } 不得超过 { $max } 个字符
problem-invalid_field-password-control = { $field } 不得包含控制字符
problem-password_breached = 该密码出现在其他网站泄露的密码列表中（或为其中某个密码加上少量数字或符号），攻击者会优先尝试此类密码。请另选密码：由几个互不相关的词组成的密码更为安全。
problem-password_too_simple = 该密码为简短模式的重复，或为连续的字符或按键（如 123456789012 或 qwertyuiopas），极易被猜中。请另选密码：由几个互不相关的词组成的密码更为安全。
problem-password_personal = 密码不得为您的邮箱地址或姓名。

## src/domain/kyc.rs
problem-invalid_field-country = country 须为 ISO 3166-1 alpha-2 国家代码，例如 US

## src/domain/offering.rs
problem-invalid_field-security_type = security_type 须为以下之一：{ $types }
problem-invalid_field-offering-money = { $field } 须介于 1 与 { $max } 个最小货币单位之间
problem-invalid_field-target_amount-whole_shares = target_amount 须对应整数股（即 price_per_share 的整数倍）
problem-invalid_field-min_raise-above_target = min_raise 不得超过 target_amount
problem-invalid_field-min_subscription-above_target = min_subscription 不得超过 target_amount
problem-invalid_field-max_per_investor-below_min = max_per_investor 不得低于 min_subscription
problem-invalid_field-max_per_investor-one_share = max_per_investor 须至少允许认购一股
problem-invalid_field-opens_at-past = opens_at 不得早于当前时间
problem-invalid_field-closes_at-before_open = closes_at 须晚于 opens_at
problem-invalid_field-closes_at-too_short = closes_at：项目须至少开放 { $seconds } 秒

## src/domain/document.rs
problem-invalid_document_kind = kind 须为 offering_memorandum、financial_statements、pitch_deck、subscription_agreement 或 other
problem-invalid_visibility = visibility 须为 public 或 investors
problem-invalid_file_name-empty = name 不得为空
problem-invalid_file_name-too_long = name 不得超过 200 个字符
problem-invalid_file_name-characters = name 须为文件名：不得包含控制字符、斜杠或引号
problem-invalid_file_name-dot = name 不得以点号开头
problem-empty_file = 文件为空
problem-malformed_file = 该文件开头为 { $type } 格式，但结尾不符合该格式：文件不完整，或末尾附加了其他内容
problem-file_name_mismatch-one = 该文件为 { $type } 格式：文件名须以 .{ $extension } 结尾
problem-file_name_mismatch-either = 该文件为 { $type } 格式：文件名须以 .{ $first } 或 .{ $second } 结尾
problem-unsupported_file_type = 文件须为 PDF、PNG 或 JPEG 格式（根据文件内容识别）
problem-active_content = 该文件包含 HTML 或脚本（可能在浏览器或 PDF 阅读器中运行）；请上传普通的 PDF、PNG 或 JPEG 文件

## src/domain/statement.rs (each names its line)
problem-invalid_statement-empty = 第 { $line } 行：{ $column } 为空
problem-invalid_statement-too_long = 第 { $line } 行：{ $column } 不得超过 100 个可打印字符
problem-invalid_statement-header = 第 { $line } 行：无法读取表头：{ $error }
problem-invalid_statement-missing_column = 第 { $line } 行：缺少 { $column } 列
problem-invalid_statement-malformed = 第 { $line } 行：CSV 格式错误：{ $error }
problem-invalid_statement-too_many_lines = 第 { $line } 行：银行对账单最多 { $max } 行
problem-invalid_statement-booked_at = 第 { $line } 行：booked_at { $value } 不是有效日期（YYYY-MM-DD 或 RFC 3339）
problem-invalid_statement-amount_unreadable = 第 { $line } 行：amount { $value } 不是以最小货币单位计的整数
problem-invalid_statement-amount_range = 第 { $line } 行：amount 须介于 1 与 { $max } 之间
problem-invalid_statement-direction = 第 { $line } 行：direction { $value } 须为 credit 或 debit
problem-invalid_statement-duplicate = 第 { $line } 行：bank_txn_id { $id } 已在第 { $first } 行出现

## src/services/error.rs
problem-insufficient_funds-ledger = 可用余额不足以支付该金额。
# not_found(what): one message per noun (spaces as _); a test lists them.
problem-not_found-deposit = 充值记录不存在。
problem-not_found-document = 文件不存在。
problem-not_found-investor = 投资人不存在。
problem-not_found-investor_profile = 投资人资料不存在。
problem-not_found-offering = 项目不存在。
problem-not_found-post = 帖子不存在。
problem-not_found-profile = 投资人资料不存在。
problem-not_found-question = 提问不存在。
problem-not_found-subscription = 认购记录不存在。
problem-not_found-unallocated_deposit = 待分配的充值记录不存在。
problem-not_found-unreconciled_movement = 未对账的银行流水不存在。
problem-not_found-update = 项目动态不存在。
problem-not_found-version = 文件版本不存在。

## src/services/accounts.rs
problem-email_not_verified-account = 请先验证您的邮箱地址：打开我们发送给您的邮件中的链接，或通过 POST /api/v1/auth/verify-email/resend 重新获取链接。

## src/services/profiles.rs
problem-invalid_field-decision = decision 须为 approved 或 rejected
problem-kyc_profile_changed = 该投资人资料已不是您审核的待审版本，请重新加载。
problem-kyc_not_pending = 该投资人资料已不是您审核的待审版本，请重新加载。

## src/services/wallet.rs
problem-forbidden-operator_account = 运营人员没有虚拟账户。
problem-insufficient_funds-withdrawal = 您的可用余额不足以支付该金额。

## src/services/receivables.rs
problem-receivable_outstanding = 银行在资金已被使用后撤回了一笔充值，您需补足差额。请至少充值所欠金额；充值将优先用于偿还欠款，还清后即可恢复提现和认购。

## src/services/holdings.rs
problem-offering_not_settled = 本轮融资结算后方可查看股权结构表。
