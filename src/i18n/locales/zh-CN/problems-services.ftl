# Problems of the services layer.

## Money flows: subscriptions, offerings, settlement, the bank, documents,
## material changes, questions and updates (src/pipeline, src/services).

# pipeline/mod.rs
problem-overloaded-write_queue = 待写入的请求过多，请稍后重试。

# pipeline/rules.rs (the subscribe refusals)
problem-offering_not_open-closed = 该项目当前未开放认购。
problem-offering_not_open-not_yet = 该项目尚未开始认购。
problem-offering_not_open-deadline_passed = 该项目的认购截止时间已过。
problem-exceeds_remaining = 该项目仅剩 { $remaining_shares } 股可供认购。
problem-email_not_verified-subscribe = 请先验证您的电子邮箱地址，再进行认购。
problem-kyc_required = 认购前须完成身份认证（KYC 审核通过）。
problem-below_minimum = 认购金额低于该项目的最低认购额。
problem-above_investor_max = 本次认购将使您超出该项目对每位投资人的认购上限。
problem-investment_limit_exceeded = 本次认购将超出您 12 个月内的投资限额。
problem-insufficient_funds-subscribe = 您的可用余额不足以支付该金额。

# services/offerings.rs
problem-invalid_offering_state-edit = 仅草稿状态的项目可以编辑。
problem-invalid_offering_state-submit = 仅草稿状态的项目可以提交审核。
problem-invalid_offering_state-approve = 仅审核中的项目可以批准。
problem-invalid_offering_state-reject = 仅审核中的项目可以驳回。
problem-invalid_offering_state-cancel = 仅草稿、审核中或开放认购中的项目可以取消。
problem-invalid_offering_state-changed = 该项目的状态已在此期间发生变化。
problem-offering_window_too_short = 批准时项目条款已不再满足要求（{ $error }）；请驳回该项目，以便发起人修改。
problem-invalid_cursor = 该分页游标不适用于此列表。

# services/settlement.rs
problem-invalid_offering_state-settle = 仅已募满的项目可以结算。
problem-invalid_offering_state-refund = 仅募集失败或已取消的项目可以退款。

# services/subscriptions.rs
problem-subscription_not_active-cancel = 仅有效的认购可以取消。
problem-subscription_not_active-changed = 该认购已在此期间发生变化。
problem-cancellation_window_closed-not_open = 该项目已不再开放认购，认购无法取消。
problem-cancellation_window_closed-cutoff = 取消认购的期限在项目截止前即已结束，现已无法取消。
problem-cancellation_window_closed-closed = 该项目已在此期间结束认购。

# services/bank.rs
problem-deposit_already_confirmed = 该笔充值已在此期间确认。
problem-withdrawal_already_paid = 该笔提现已在此期间支付。
problem-withdrawal_already_returned = 该笔提现已在此期间退回。
problem-deposit_already_returned = 该笔充值已在此期间退回。
problem-unallocated_already_resolved = 该笔待分配入账款项已在此期间处理。
problem-unallocated_already_returned = 该笔待分配入账款项已在此期间退回。

# services/unreconciled.rs
problem-invalid_field-target-withdrawal_id = withdrawal_id 必须指向一笔提现。
problem-invalid_field-target-deposit_id = deposit_id 必须指向一笔充值。
problem-invalid_field-target-unallocated_deposit_id = unallocated_deposit_id 必须指向一笔待分配入账款项。
problem-invalid_field-target-returned_deposit = 银行退回的充值款项须对应一笔充值（deposit_id）。
problem-invalid_field-target-payout = 银行付款须对应一笔提现（withdrawal_id）。
problem-withdrawal_not_pending = 仅处理中的提现可以由银行流水完成支付。
problem-deposit_not_confirmed = 仅已入账的充值可以由银行流水退回。
problem-unallocated_not_open = 仅仍在暂挂账户中的款项可以与其退回记录匹配。
problem-amount_mismatch = 银行退回的金额与该笔转账的入账金额不一致。
problem-already_resolved-bank_movement = 该笔银行流水已处理完毕。

# services/unallocated.rs
problem-invalid_field-credit-investor_id = investor_id 必须指向一位投资人。
problem-email_not_verified-credit = 该投资人尚未验证电子邮箱地址：资金仅可入账至已验证的账户。
problem-bank_txn_id_in_use = 使用该银行交易编号的转账已记入账本。
problem-already_resolved-transfer = 该笔转账已处理完毕。

# services/documents.rs
problem-document_frozen = 该项目的文件已冻结：文件仅可在提交审核前（草稿阶段）修改，或在本轮融资开放认购或已募满期间以修订形式更新。
problem-signed_link_required = 该文件仅向已认证的投资人提供：请申请签名链接（POST .../links）并通过该链接打开。
problem-link_expired = 该链接已过期，请重新申请。
problem-invalid_link-document = 该链接不适用于此文件。
problem-verification_required = 受限文件仅向已完成身份认证（KYC 审核通过）的投资人提供。
problem-forbidden-sponsor_documents = 发起人仅可查阅其自有项目的受限文件。

# services/material_changes.rs
problem-offering_not_open-material_change = 重大变更仅可在本轮融资开放认购或已募满期间声明。
problem-not_an_amendment = 仅项目获批后发布的版本（即修订版本）可声明为重大变更。
problem-already_declared = 该版本已被声明为重大变更。
problem-not_awaiting_reconfirmation = 该认购无需重新确认。
problem-reconfirmation_closed = 重新确认的截止时间已过：该认购正在取消，资金将予以退回。
problem-reconfirmations_pending = 本轮融资中仍有认购等待重新确认重大变更：待每笔认购均已重新确认、取消或失效后方可结算。

# services/questions.rs
problem-rate_limited-posts = 该账户发帖过于频繁，请在 Retry-After 所示秒数后重试。
problem-post_hidden = 该提问已被运营人员隐藏，不再接受回复。
problem-already_hidden = 该帖子已处于隐藏状态。
problem-not_hidden = 该帖子未被隐藏。

# services/updates.rs
problem-offering_not_public = 项目获批后方可发布项目动态。
problem-invalid_field-publish_at-schedule = publish_at 须在 { $days } 天以内。
