# Lead investors of led rounds (src/services/leads.rs, src/api/leads.rs).

problem-offering_not_led = 该项目不是领投项目：未设置领投人的最低出资比例。
problem-invalid_offering_state-lead = 仅可在项目审核中或开放认购期间指定领投人。
problem-lead_not_eligible-not_investor = 领投人必须是投资人账户。
problem-lead_not_eligible-disabled = 该投资人的账户已被停用。
problem-lead_not_eligible-email = 该投资人尚未验证其电子邮箱地址。
problem-lead_not_eligible-kyc = 该投资人尚未通过身份认证（KYC 审核）。
problem-lead_already_committed = 现任领投人已完成出资承诺，不能被替换。
problem-invalid_field-carry_bps = carry_bps 必须是 0 到 10,000 之间的整数基点。
problem-lead_required = 本轮领投人尚未完成最低出资；领投项目须在领投人完成出资后方可结算。
problem-lead_required-no_lead = 本轮没有领投人；领投项目须在领投人完成出资后方可结算。
problem-forbidden-lead_history = 领投人任命记录仅向项目发起人和运营人员展示。
