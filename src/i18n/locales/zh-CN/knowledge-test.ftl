# 投资者知识测试（欧盟众筹条例第 21 条），非专业投资者首次投资前作答。
# The entry knowledge test (EU crowdfunding regulation, art. 21), shown to
# a non-sophisticated investor before a first investment. The questions and
# which option is right are in src/domain/rules/knowledge_test.rs: change a
# question's meaning there and here together.

knowledge-test-title = 投资者知识测试
knowledge-test-intro = 根据法律要求，在您首次投资前，我们需要确认您了解相关风险：以下 6 道题中答对至少 5 道即可通过，测试通过后两年内有效。

knowledge-test-total_loss = 您投资于众筹项目的资金，最多可能损失多少？
knowledge-test-total_loss-a = 最多损失一半
knowledge-test-total_loss-b = 可能全部损失
knowledge-test-total_loss-c = 不会损失，平台会赔付任何亏损

knowledge-test-liquidity = 您通过本平台购买的非上市公司股份，能否轻松卖出？
knowledge-test-liquidity-a = 能，可以像证券交易所上市的股票一样随时卖出
knowledge-test-liquidity-b = 能，公司必须按您的要求随时回购
knowledge-test-liquidity-c = 往往不能：这类股份通常没有交易市场，您可能需要持有多年

knowledge-test-no_guarantee = 如果您投资的公司经营失败，存款保险或投资者赔偿计划会赔付您的损失吗？
knowledge-test-no_guarantee-a = 不会：通过众筹平台进行的投资不在这两类保障范围内
knowledge-test-no_guarantee-b = 会：存款保险最高赔付 10 万欧元
knowledge-test-no_guarantee-c = 会：投资者赔偿计划会赔付您的全部损失

knowledge-test-dilution = 公司之后向其他投资者发行新股，再次融资。您持有的股权可能会发生什么变化？
knowledge-test-dilution-a = 不会有任何变化：您的持股比例永远不会下降
knowledge-test-dilution-b = 平台会免费补发股份给您作为补偿
knowledge-test-dilution-c = 您的持股比例可能下降（即股权稀释）

knowledge-test-diversification = 为什么要把资金分散投资于多个项目，而不是全部投入一个项目？
knowledge-test-diversification-a = 万一某家公司失败，可以降低损失全部资金的风险
knowledge-test-diversification-b = 可以保证盈利
knowledge-test-diversification-c = 对风险没有任何影响

knowledge-test-reflection = 作为非专业投资者，如果您提交投资要约后改变了主意，可以怎么做？
knowledge-test-reflection-a = 无法撤回：要约一经提交即为最终决定
knowledge-test-reflection-b = 在四个自然日内撤回，无需说明理由，也无需支付违约金
knowledge-test-reflection-c = 在本轮融资结束前随时撤回，但须支付手续费
