# The entry knowledge test (EU crowdfunding regulation, art. 21), shown to
# a non-sophisticated investor before a first investment. The questions and
# which option is right are in src/domain/rules/knowledge_test.rs: change a
# question's meaning there and here together.

knowledge-test-title = Investor knowledge test
knowledge-test-intro = The law asks us to check that you understand the risks before your first investment: answer at least 5 of these 6 questions correctly to pass, and a passed test stays valid for two years.

knowledge-test-total_loss = How much of the money you invest in a crowdfunding project can you lose?
knowledge-test-total_loss-a = At most half of it
knowledge-test-total_loss-b = All of it
knowledge-test-total_loss-c = None of it: the platform pays back any loss

knowledge-test-liquidity = Can you easily sell shares of a private company that you bought through the platform?
knowledge-test-liquidity-a = Yes, at any time, like shares listed on a stock exchange
knowledge-test-liquidity-b = Yes, the company must buy them back whenever you ask
knowledge-test-liquidity-c = Often not: there is usually no market for them, and you may have to keep them for many years

knowledge-test-no_guarantee = If the company you invested in fails, does a deposit guarantee scheme or an investor compensation scheme pay you back?
knowledge-test-no_guarantee-a = No: neither scheme covers investments made through a crowdfunding platform
knowledge-test-no_guarantee-b = Yes: the deposit guarantee scheme repays up to EUR 100,000
knowledge-test-no_guarantee-c = Yes: the investor compensation scheme repays what you lost

knowledge-test-dilution = The company later raises more money by issuing new shares to other investors. What can happen to your stake?
knowledge-test-dilution-a = Nothing: your share of the company can never go down
knowledge-test-dilution-b = The platform gives you extra shares for free to make up for it
knowledge-test-dilution-c = Your share of the company can go down (this is called dilution)

knowledge-test-diversification = Why spread your money over several projects rather than put it all into one?
knowledge-test-diversification-a = It lowers the risk of losing everything if one company fails
knowledge-test-diversification-b = It guarantees a profit
knowledge-test-diversification-c = It makes no difference to the risk

knowledge-test-reflection = As a non-sophisticated investor, what can you do if you change your mind after making an offer to invest?
knowledge-test-reflection-a = Nothing: every offer is final as soon as it is made
knowledge-test-reflection-b = Revoke it within four calendar days, without giving a reason and without paying a penalty
knowledge-test-reflection-c = Revoke it at any time until the round closes, but only by paying a fee
