# The steps the EU crowdfunding rules ask of an investor before investing:
# the knowledge test and the loss simulation (services/appropriateness.rs,
# api/appropriateness.rs).

problem-not_under_rule_profile = This platform runs under other rules ({ $rule_profile }), which do not ask for this: it is part of the EU crowdfunding rules only.
problem-invalid_field-knowledge_test-unanswered = answers has no answer to question { $question }: every question must be answered
problem-invalid_field-knowledge_test-unknown_question = answers names { $question }, which is not a question of the test
problem-invalid_field-knowledge_test-unknown_option = { $option } is not one of the options of question { $question }
problem-invalid_field-loss_simulation-acknowledged = acknowledged must be true: confirm that you have seen how much you can afford to lose
problem-rate_limited-knowledge_test = Too many attempts at the knowledge test today. Read the risks again and try later.
