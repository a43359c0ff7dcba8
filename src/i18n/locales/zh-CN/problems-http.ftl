# Problems of the http layer.


## src/error.rs
problem-idempotency_key_mismatch = 此幂等键（Idempotency-Key）已用于另一个不同的请求。
problem-idempotency_in_progress = 使用此幂等键（Idempotency-Key）的请求仍在处理中。
problem-service_unavailable = 服务暂时无法响应，请稍后重试。
problem-not_found-no_such_resource = 该资源不存在。
problem-database_unavailable-retry = 当前无法连接数据库。本次请求未作任何更改（除非使用同一幂等键（Idempotency-Key）重试时得到不同的答复），请稍后重试。
problem-database_busy = 数据库繁忙，未能及时响应。本次请求未作任何更改，请稍后重试。
problem-storage_full = 数据库已无可用存储空间，无法写入。本次请求未作任何更改，请稍后再试。
problem-database_read_only = 数据库当前不接受写入。本次请求未作任何更改，请稍后再试。
problem-overloaded-connections = 当前请求数量超过数据库连接数，请稍后重试。

## src/api/problems.rs
problem-not_found-path_segment = 该资源不存在（{ $error }）。
problem-invalid_query-query_string = 查询字符串无效：{ $error }
problem-unsupported_media_type-json = 请以 application/json 格式发送请求内容。
problem-payload_too_large-json = 请求内容超过 { $limit } 字节。
problem-invalid_body-shape = 请求内容的结构与要求不符：{ $error }
problem-malformed_json = 请求内容不是有效的 JSON：{ $error }
problem-bad_request-unreadable = 无法读取请求内容：{ $error }
problem-route_not_found-path = 没有与 { $path } 匹配的接口。
problem-invalid_characters = 路径或查询参数中含有控制字符。
problem-invalid_field-identifier = { $field } 须为 1 至 100 个可打印字符

## src/api/auth.rs
problem-rate_limited-attempts = 此类操作尝试次数过多，请在 Retry-After 所示秒数后重试。
problem-email_taken = 使用该邮箱的账户已存在
problem-invalid_credentials = 邮箱或密码错误
problem-account_locked = 登录失败次数过多，已暂停从此处登录。请在 Retry-After 所示秒数后重试。
problem-account_disabled = 该账户已被停用，请联系客服。
problem-invalid_token-used_or_expired = 该令牌无效、已被使用或已过期
problem-invalid_current_password = 当前密码错误。输错的次数将计入登录失败次数。
problem-refresh_token_reused = 该刷新令牌已被使用过；此次登录的所有会话均已撤销
problem-invalid_field-register_role = role 须为 'investor' 或 'sponsor'
problem-invalid_field-sign_in_password_long = password 过长

## src/api/body_deadline.rs
problem-body_timeout = 请求内容未在 { $ms } 毫秒内送达。

## src/api/health.rs
problem-database_unavailable-not_ready = 数据库无响应。

## src/api/extractors.rs
problem-unauthorized = 请先登录，并以 'Authorization: Bearer <token>' 的形式发送访问令牌。
problem-token_expired = 访问令牌已过期。
problem-invalid_token-access_token = 访问令牌无效。
problem-session_revoked = 此会话已结束（已退出登录、已修改密码或账户已停用），请重新登录。
problem-forbidden-only_investors = 仅投资人可执行此操作。
problem-forbidden-only_sponsors = 仅发起人可执行此操作。
problem-forbidden-only_operators = 仅运营人员可执行此操作。

## src/api/documents.rs
problem-file_too_large = 文件大小不得超过 { $limit } 字节。
problem-bad_request-upload_unreadable = 无法读取请求内容：{ $error }
problem-storage_unavailable = 当前无法连接文件存储，本次上传未保存，请重试。
problem-invalid_field-link_version = 须为有效的版本号
problem-not_found-version_number = 该版本不存在。
problem-invalid_link-partial = 签名链接须同时包含 expires、key 和 signature。

## src/api/language.rs
problem-invalid_field-locale = { $field } 须为 en 或 zh-CN
problem-invalid_field-time_zone = { $field } 须为 IANA 时区，例如 Asia/Shanghai 或 UTC

## src/api/streams.rs
problem-too_many_streams = 本服务器跟踪的实时数据流已达上限。请稍后重试，或通过 GET /offerings/{"{"}id{"}"} 查看相关数据。
problem-invalid_last_event_id = Last-Event-ID 须为此数据流已发送事件的 id（非负整数）。

## src/api/query.rs, src/api/pagination.rs
problem-invalid_query-too_long = { $name } 不得超过 { $max_chars } 个字符
problem-invalid_query-limit = limit 须在 1 至 { $max } 之间

## src/api/statements.rs
problem-unsupported_media_type-csv = 请以 text/csv 格式发送银行对账单。
problem-payload_too_large-statement = 银行对账单不得超过 { $limit } 字节。

## src/api/idempotency.rs
problem-idempotency_key_required = 请在此请求中附带幂等键（Idempotency-Key）请求头（例如一个 UUID）。
problem-invalid_idempotency_key = 幂等键（Idempotency-Key）须为 1 至 255 个可见 ASCII 字符。

## src/api/webhooks.rs
problem-webhook_not_configured = 本服务器未设置 BANK_WEBHOOK_SECRET。
problem-invalid_signature = X-Bank-Signature 与请求内容不符。
problem-invalid_body-bank_notification = 不是有效的银行通知：{ $error }
problem-invalid_field-returned_without_original = deposit_returned 通知须指明其退回的转账
problem-invalid_field-original_not_returned = 仅 deposit_returned 通知可包含 original_bank_txn_id
problem-invalid_field-bank_kind = kind 须为 deposit、withdrawal、withdrawal_returned 或 deposit_returned
problem-invalid_field-bank_amount = amount 须为正数，以最小货币单位计

## src/api/unreconciled.rs, src/api/unallocated.rs
problem-invalid_query-unreconciled_status = status 须为 open、assigned 或 written_off
problem-invalid_field-match_exactly_one = 请在 withdrawal_id（对应提现付款）、deposit_id 或 unallocated_deposit_id（对应退回的充值）中指定且仅指定一项
problem-invalid_field-match_one_of = 请指定 withdrawal_id、deposit_id 或 unallocated_deposit_id
problem-invalid_field-write_off_reason = reason 须说明核销该笔款项的原因
problem-invalid_field-write_off_reason_long = reason 不得超过 500 个可打印字符
problem-invalid_query-unallocated_status = status 须为 open、credited 或 returned
problem-invalid_field-note_long = note 不得超过 500 个可打印字符

## src/api/profiles.rs
problem-invalid_query-kyc_status = status 须为 pending、approved 或 rejected
problem-invalid_field-kyc_decision = decision 须为 approved 或 rejected
problem-invalid_field-kyc_reason = 拒绝时须填写原因
problem-invalid_field-kyc_submitted_at = submitted_at 为必填项：请填写您审核时该资料的 submitted_at（见 GET /api/v1/operator/kyc）

## src/api/offerings.rs
problem-invalid_query-offering_status = 未知的状态 { $status }
problem-invalid_query-offering_sort = sort 须为 closes_at、raised 或 created_at，降序请加前缀 '-'

## src/api/me.rs, src/api/users.rs
problem-invalid_token-account_gone = 该账户已不存在。
problem-invalid_field-current_password_long = current_password 过长
problem-not_found-user_id = 不存在此 id 的用户。
problem-own_account = 运营人员不能停用自己的账户。

## src/api/material_changes.rs, src/api/wallet.rs, src/api/ledger.rs
problem-forbidden-material_change_declarer = 重大变更须由该项目的发起人或运营人员声明。
problem-forbidden-operator_wallet = 运营人员没有虚拟账户。
problem-no_seal_yet = 账本尚未封存：目前没有任何已记账并封存的记录。

## src/api/updates.rs
problem-invalid_field-update_body_format = 须为 text 或 markdown
problem-invalid_field-update_audience = 须为 public 或 investors
