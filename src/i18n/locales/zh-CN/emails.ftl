# 平台发送的全部邮件。每封邮件包含主题（subject）、标题（heading）、
# 预览文字（preheader，邮件客户端在主题旁显示的一行）以及其后的各段正文。
# Every email the platform sends. Each has a subject, a heading, a
# preheader (the line a mail app shows beside the subject) and the
# paragraphs named after it.

email-verify-email-subject = 请确认您的电子邮箱地址
email-verify-email-heading = 欢迎加入 crowdfund
email-verify-email-preheader = 只差一步：请确认您的电子邮箱地址。
email-verify-email-body = 请确认您的电子邮箱地址，以完成注册。
email-verify-email-button = 确认我的邮箱地址
email-verify-email-expiry = 该链接仅可使用一次，将在 { $hours } 小时后失效。如您并未注册，请忽略此邮件。

email-password-reset-subject = 重置您的密码
email-password-reset-heading = 重置您的密码
email-password-reset-preheader = 有人申请重置您账户的密码。
email-password-reset-body = 有人申请重置您 crowdfund 账户的密码。如需设置新密码，请打开以下链接。
email-password-reset-button = 设置新密码
email-password-reset-expiry = 该链接仅可使用一次，将在 { $minutes } 分钟后失效。如非您本人操作，请忽略此邮件，您的密码将保持不变。

email-password-changed-subject = 您的密码已修改
email-password-changed-heading = 您的密码已修改
email-password-changed-preheader = 您账户的其他所有登录会话均已退出。
email-password-changed-body = 您 crowdfund 账户的密码刚刚已被修改，该账户的其他所有登录会话均已退出。
email-password-changed-advice = 如为您本人操作，无需进行任何处理。如非您本人操作，请立即通过“忘记密码”设置新密码（此操作将退出所有登录会话，包括入侵者的会话），并联系客服。

email-failed-sign-ins-subject = 您的账户出现登录失败
email-failed-sign-ins-heading = 您的账户出现登录失败
email-failed-sign-ins-preheader = 有人尝试登录您的账户，已连续失败 { $failures } 次。
email-failed-sign-ins-body = 有人刚刚尝试登录您的 crowdfund 账户，已连续失败 { $failures } 次，最近一次来自地址 { $address }。
email-failed-sign-ins-advice = 如为您本人操作，无需进行任何处理。如非您本人操作，只要您的密码未泄露，您的账户即是安全的：来自持续登录失败地址的登录尝试将被暂停，且每次暂停时间逐步延长。为确保安全，您可通过“忘记密码”设置新密码，此操作还将退出所有登录会话。

email-kyc-approved-subject = 您的身份认证已通过
email-kyc-approved-heading = 您现在可以投资了
email-kyc-approved-preheader = 您的投资者资料已审核通过。
email-kyc-approved-body = 我们已审核您提交的投资者资料，并予以通过。您现在可以在资料所允许的投资额度内，认购募集中的项目。

email-kyc-rejected-subject = 您的身份认证需重新审核
email-kyc-rejected-heading = 您的资料未能通过审核
email-kyc-rejected-preheader = 您的投资者资料暂未通过审核。
email-kyc-rejected-body = 您提交的投资者资料未能通过审核。审核人员的意见如下：
email-kyc-rejected-advice = 请在应用内修改您的资料后重新提交，我们会审核每一次提交的新版本。

email-deposit-credited-subject = 您的充值 { $reference } 已到账
email-deposit-credited-heading = 您的充值已到账
email-deposit-credited-preheader = { $amount } 已存入您的账户。
email-deposit-credited-body = 您的银行转账已到账，{ $amount } 已计入您的可用余额。
email-deposit-credited-next = 您可使用该资金认购募集中的项目，或将其提现至您的银行账户。

email-unallocated-credited-subject = 一笔转账已入账至您的账户
email-unallocated-credited-heading = 一笔转账已入账至您的账户
email-unallocated-credited-preheader = { $amount } 已存入您的账户。
email-unallocated-credited-body = 一笔金额为 { $amount } 的银行转账（附言“{ $reference }”）未能与您事先登记的充值相匹配。经我们团队核实，该笔款项属于您，现已计入您的可用余额。
email-unallocated-credited-next = 下次充值时，请先在应用内登记充值，并使用应用提供的参考编号，以便资金即时到账。

email-withdrawal-paid-subject = 您的提现 { $reference } 已支付
email-withdrawal-paid-heading = 您的提现款项已汇出
email-withdrawal-paid-preheader = { $amount } 已汇往您的银行账户。
email-withdrawal-paid-body = 我们已向您的银行账户支付 { $amount }。银行通常会在一至两个工作日内显示该笔款项。
email-withdrawal-paid-next = 如五个工作日后仍未到账，请凭上述参考编号联系客服。

email-withdrawal-returned-subject = 您的提现 { $reference } 已被退回
email-withdrawal-returned-heading = 您的提现已被退回
email-withdrawal-returned-preheader = { $amount } 已退回您的账户。
email-withdrawal-returned-body = 银行未能完成您金额为 { $amount } 的提现 { $reference }。该笔资金已退回您的可用余额。
email-withdrawal-returned-next = 请核对您提供的银行账户信息后重新申请提现，或联系客服。

email-deposit-returned-subject = 您的充值 { $reference } 已被退回
email-deposit-returned-heading = 您的充值已被退回
email-deposit-returned-preheader = 您的银行已收回 { $amount }。
email-deposit-returned-body = 您的银行已收回充值 { $reference } 中金额为 { $amount } 的转账。
email-deposit-returned-covered = 该笔金额已从您的可用余额中扣除。
email-deposit-returned-owed = 您的可用余额仅抵扣了其中的 { $covered }，您目前尚欠 { $owed }。在欠款结清之前，提现及新的认购申请将被拒绝；您之后的充值将优先用于偿还该笔欠款。
email-deposit-returned-advice = 如有疑问，请联系您的开户银行。

email-subscription-confirmed-subject = 认购成功：{ $offering }
email-subscription-confirmed-heading = 您的认购已确认
email-subscription-confirmed-preheader = 您已认购“{ $offering }”。
email-subscription-confirmed-body = 感谢您投资“{ $offering }”。您的认购已确认：
email-subscription-confirmed-escrow = 认购款项将存放于资金托管账户，直至本轮融资结束。项目募集期间，您最晚可在截止时间前 48 小时取消认购。
email-subscription-confirmed-cancel-until = 认购款项将存放于资金托管账户，直至本轮融资结束。项目募集期间，您可在 { $until } 之前取消认购。
email-subscription-confirmed-revoke-until = 认购款项将存放于资金托管账户，直至本轮融资结束。在 { $until } 之前（您的四天冷静期内），您可以无需说明理由撤回本次认购，款项将立即退回您的账户。
email-subscription-confirmed-final = 认购款项将存放于资金托管账户，直至本轮融资结束。作为专业投资者，您不享有冷静期，本次认购不可撤回。

email-subscription-cancelled-subject = 认购已取消：{ $offering }
email-subscription-cancelled-heading = 您的认购已取消
email-subscription-cancelled-preheader = { $amount } 已退回您的账户。
email-subscription-cancelled-body = 您对“{ $offering }”{ $shares }的认购已取消，{ $amount } 已退回您的账户。

email-subscription-lapsed-subject = 认购因未重新确认已取消：{ $offering }
email-subscription-lapsed-heading = 您的认购已取消
email-subscription-lapsed-preheader = 您未在规定时间内重新确认，{ $amount } 已退回您的账户。
email-subscription-lapsed-body = “{ $offering }”的条款发生重大变更，而您对其 { $shares } 的认购未在截止时间前重新确认，因此该认购已取消，{ $amount } 已退回您的账户。

email-subscription-refunded-subject = 已退款：{ $offering }
email-subscription-refunded-heading = 您的款项已退回
email-subscription-refunded-preheader = { $amount } 已退回您的账户。
email-subscription-refunded-body = “{ $offering }”未能继续推进，您对其 { $shares } 的认购已退款：{ $amount } 已退回您的账户。

email-shares-allotted-subject = 股份已分配：{ $offering }
email-shares-allotted-heading = 股份已分配至您名下
email-shares-allotted-preheader = “{ $offering }”本轮融资已结算。
email-shares-allotted-body = “{ $offering }”本轮融资已结算。
email-shares-allotted-holdings = 上述股份已列入您的持仓。

email-offering-funded-subject = 项目募集成功：{ $offering }
email-offering-funded-heading = “{ $offering }”募集成功
email-offering-funded-preheader = 本轮融资已达到募集目标。
email-offering-funded-body = “{ $offering }”已达到募集目标。您的认购继续有效，并将进行结算。

email-offering-failed-subject = 项目募集失败：{ $offering }
email-offering-failed-heading = “{ $offering }”未达到最低募集金额
email-offering-failed-preheader = 您的款项将予以退还。
email-offering-failed-body = “{ $offering }”未达到最低募集金额。您的款项将退还至您的账户。

email-offering-cancelled-subject = 项目已取消：{ $offering }
email-offering-cancelled-heading = “{ $offering }”已取消
email-offering-cancelled-preheader = 您的款项将予以退还。
email-offering-cancelled-body = “{ $offering }”已取消。您的款项将退还至您的账户。

email-offering-closed-sponsor-subject = 您的项目{ $status }：{ $offering }
email-offering-closed-sponsor-heading = “{ $offering }”：{ $status }
email-offering-closed-sponsor-preheader = 本轮融资已结束。
email-offering-closed-sponsor-body = “{ $offering }”当前状态：{ $status }。

email-offering-settled-sponsor-subject = 结算完成：{ $offering }
email-offering-settled-sponsor-heading = “{ $offering }”已结算
email-offering-settled-sponsor-preheader = 您的融资款项已可提取。
email-offering-settled-sponsor-body = “{ $offering }”已完成结算：
email-offering-settled-sponsor-withdraw = 融资款项已存入您的收款账户，您可从该账户提现至您的银行账户。

email-material-change-subject = 请重新确认您对“{ $offering }”的投资
email-material-change-heading = 请重新确认您的投资
email-material-change-preheader = “{ $offering }”的条款已变更，请于 { $deadline } 前重新确认。
email-material-change-reminder-subject = 提醒：请于 { $deadline } 前重新确认您对“{ $offering }”的投资
email-material-change-reminder-heading = 提醒：请重新确认您的投资
email-material-change-reminder-preheader = 请于 { $deadline } 前重新确认，否则您的认购将被取消。
email-material-change-body = “{ $offering }”的条款发生重大变更：其{ $document }已修订。
email-material-change-reason = 发起人对变更内容的说明如下：
email-material-change-reconfirm = 您须于 { $deadline } 前在应用内重新确认，您的认购方可继续有效。如未重新确认，您的认购将于该时间被取消，款项将退回您的账户。在此之前，您也可以自行取消认购。

email-document-amended-subject = 项目文件已修订：{ $offering }
email-document-amended-heading = 项目文件已修订
email-document-amended-preheader = “{ $offering }”的{ $document }已发布新版本。
email-document-amended-body = “{ $offering }”的发起人已发布其{ $document }的新版本。请在本轮融资结束前仔细阅读。
email-document-amended-stands = 您的认购保持不变；您认购时有效的文件版本已与该认购一并列示于您的投资组合中。

email-offering-update-subject = { $offering }：{ $title }
email-offering-update-heading = { $title }
email-offering-update-preheader = “{ $offering }”的发起人发布了项目动态。
email-offering-update-body = “{ $offering }”的发起人发布了项目动态：
email-offering-update-why = 您收到此邮件，是因为您投资了“{ $offering }”。

email-new-question-subject = “{ $offering }”收到新提问
email-new-question-heading = “{ $offering }”收到一条新提问
email-new-question-preheader = 有投资人就“{ $offering }”提出了问题。
email-new-question-body = 有人就“{ $offering }”提出了以下问题：
email-new-question-answer = 所有人均可查看该问题及您的回答。请公开作答：通过您账户发布的回复将标注为发起人回复。

email-question-answered-subject = “{ $offering }”的发起人回答了您的问题
email-question-answered-heading = 您的问题已获回答
email-question-answered-preheader = “{ $offering }”的发起人已回复。
email-question-answered-body = “{ $offering }”的发起人已回答您的问题：

# 领投人退出
email-lead-withdrawn-subject = 请重新确认您对“{ $offering }”的投资：领投人已退出
email-lead-withdrawn-heading = 领投人已退出
email-lead-withdrawn-preheader = “{ $offering }”目前没有领投人，请于 { $deadline } 前重新确认。
email-lead-withdrawn-reminder-subject = 提醒：请于 { $deadline } 前重新确认您对“{ $offering }”的投资
email-lead-withdrawn-reminder-heading = 提醒：请重新确认您的投资
email-lead-withdrawn-reminder-preheader = 请于 { $deadline } 前重新确认，否则您的认购将被取消。
email-lead-withdrawn-body = “{ $offering }”的领投人已撤回其出资承诺。您是作为该领投人的跟投人认购的，因此您的认购需要您重新决定。在有领投人完成承诺之前，本轮融资不能结算。
