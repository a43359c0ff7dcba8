# 欧盟众筹规则要求投资者在投资前完成的步骤：知识测试与亏损模拟。
# The steps the EU crowdfunding rules ask of an investor before investing:
# the knowledge test and the loss simulation (services/appropriateness.rs,
# api/appropriateness.rs).

problem-not_under_rule_profile = 本平台适用的是其他规则（{ $rule_profile }），不要求此项：此项仅属于欧盟众筹规则。
problem-invalid_field-knowledge_test-unanswered = answers 中缺少题目 { $question } 的答案：每道题都必须作答
problem-invalid_field-knowledge_test-unknown_question = answers 中的 { $question } 不是本测试的题目
problem-invalid_field-knowledge_test-unknown_option = { $option } 不是题目 { $question } 的选项
problem-invalid_field-loss_simulation-acknowledged = acknowledged 必须为 true：请确认您已了解自己能够承受的亏损金额
problem-rate_limited-knowledge_test = 今天的知识测试尝试次数过多。请重新阅读风险提示，稍后再试。
