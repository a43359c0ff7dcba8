# 规则配置与领投轮次的问题。

problem-lead_commitment_pending = 本轮融资由领投人领投，领投人的出资承诺到位后跟投人方可认购。请在项目显示领投人已完成承诺后再试。
problem-lead_commitment_pending-no_lead = 本轮融资由领投人领投，目前没有已完成承诺的领投人。领投人完成承诺后跟投人方可认购。
problem-investor_limit_reached = 本轮投资人数已达上限 { $max_investors } 人。只有已投资本轮的投资人可以追加认购。
problem-not_qualified_investor = 本轮仅限合格投资者投资：金融资产不低于 300 万元，或最近三年个人年均收入不低于 50 万元（机构：净资产不低于 1000 万元），须在投资人资料中申报并经审核通过；否则您在本轮的投资金额须不低于 { $round_minimum } 元。
problem-knowledge_test_required = 首次投资前，请先通过投资者知识测试（GET /api/v1/me/knowledge-test）。
problem-loss_simulation_required = 首次投资前，请先查看并确认您的损失承受能力模拟（GET /api/v1/me/loss-simulation）。
problem-risk_warning_required = 本次投资将使您在该项目中的投资额超过 1,000 欧元或您净资产的 5%（以较高者为准）。请阅读风险提示，并在请求中加入 "acknowledge_risk": true 再次认购以确认。
problem-cancellation_not_offered = 根据本平台规则，只有非专业投资者可以在认购后四天内撤回认购。此认购不能撤回。
problem-reflection_period_over = 此认购的四天冷静期已结束，不能再撤回。
problem-reflection_period_running = 仍有投资人处于四天冷静期内，可以撤回认购；最后一个冷静期结束后本轮方可结算。
problem-offering_period_running = 在截止日期前募满的项目，须在开放满最短募集期后方可结算。
problem-invalid_field-investor_type = investor_type 必须是 individual 或 institution。
problem-invalid_field-max_investors = max_investors 必须是 1 到 { $max } 之间的整数。
problem-invalid_field-max_investors-positive = max_investors 必须是不小于 1 的整数。
problem-invalid_field-lead_min_bps = lead_min_bps 必须是 1 到 10000 之间的整数基点。
