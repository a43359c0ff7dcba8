//! The entry knowledge test a non-sophisticated investor takes before a
//! first investment under the EU crowdfunding regulation (Regulation (EU)
//! 2020/1503, art. 21; the technical standards for it are in Delegated
//! Regulation (EU) 2022/2114).
//!
//! Art. 21(2) asks the platform to find out the investor's basic
//! understanding of the risks of investing in general and of the
//! investments offered on it, including the risks of investing through a
//! crowdfunding platform. Neither act prescribes the questions: these are
//! the platform's own wording, kept short and plain so that an investor is
//! likely to understand them (2022/2114, art. 3(2)(c)). They cover losing
//! everything, selling later, the absence of any guarantee scheme,
//! dilution, spreading the risk, and the reflection period of art. 22.
//!
//! Each question's text is the message [`question_key`] and each option's
//! [`option_key`] (`locales/*/knowledge-test.ftl`). An answer sheet maps
//! question ids to option ids; [`score`] counts the right ones and
//! [`passed`] says whether that is enough. How long a pass stays in force
//! is [`super::eu_ecsp::KNOWLEDGE_TEST_VALID_FOR`].

use std::collections::BTreeMap;

/// One question of the test. Its text and its options' texts are messages
/// (see [`question_key`], [`option_key`]); the ids are what an answer sheet
/// holds.
#[derive(Debug)]
pub struct Question {
    pub id: &'static str,
    /// The ids of its options, in the order they are shown.
    pub options: &'static [&'static str],
    /// The id of the right option.
    pub correct: &'static str,
}

/// The test, in the order it is shown.
pub const QUESTIONS: &[Question] = &[
    // How much of the money invested in a project can be lost: all of it.
    Question {
        id: "total_loss",
        options: &["a", "b", "c"],
        correct: "b",
    },
    // Whether shares of a private company are easy to sell: usually not.
    Question {
        id: "liquidity",
        options: &["a", "b", "c"],
        correct: "c",
    },
    // Whether a deposit guarantee or investor compensation scheme covers
    // the investment: neither does (ECSP art. 19(2)).
    Question {
        id: "no_guarantee",
        options: &["a", "b", "c"],
        correct: "a",
    },
    // What new shares issued later do to a stake: they can dilute it.
    Question {
        id: "dilution",
        options: &["a", "b", "c"],
        correct: "c",
    },
    // Why spread money over several projects: less risk of losing it all.
    Question {
        id: "diversification",
        options: &["a", "b", "c"],
        correct: "a",
    },
    // What a non-sophisticated investor may do after an offer to invest:
    // revoke it within four calendar days, without reason or penalty
    // (ECSP art. 22).
    Question {
        id: "reflection",
        options: &["a", "b", "c"],
        correct: "b",
    },
];

/// How many right answers pass: 5 of 6.
pub const PASS_MARK: usize = 5;

/// The message id of a question's text.
pub fn question_key(q: &Question) -> String {
    format!("knowledge-test-{}", q.id)
}

/// The message id of one of a question's options.
pub fn option_key(q: &Question, option: &str) -> String {
    format!("knowledge-test-{}-{}", q.id, option)
}

/// Why an answer sheet cannot be scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// A question has no answer (its id).
    Unanswered(&'static str),
    /// An answer to a question the test does not have (the id given).
    UnknownQuestion(String),
    /// An answer that is none of the question's options.
    UnknownOption {
        question: &'static str,
        option: String,
    },
}

/// How many questions `answers` (question id → option id) gets right.
///
/// The sheet must answer every question, each with one of its options, and
/// nothing else; otherwise the first fault found is returned: an unknown
/// question id (in the sheet's order), then, question by question in the
/// test's order, a missing answer or an unknown option. Ids match exactly.
pub fn score(answers: &BTreeMap<String, String>) -> Result<usize, AnswerError> {
    if let Some(unknown) = answers
        .keys()
        .find(|id| !QUESTIONS.iter().any(|q| q.id == id.as_str()))
    {
        return Err(AnswerError::UnknownQuestion(unknown.clone()));
    }
    let mut right = 0;
    for q in QUESTIONS {
        let answer = answers.get(q.id).ok_or(AnswerError::Unanswered(q.id))?;
        if !q.options.contains(&answer.as_str()) {
            return Err(AnswerError::UnknownOption {
                question: q.id,
                option: answer.clone(),
            });
        }
        if answer == q.correct {
            right += 1;
        }
    }
    Ok(right)
}

/// Whether `score` right answers pass the test.
pub fn passed(score: usize) -> bool {
    score >= PASS_MARK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{defined_keys, Locale, Text};

    fn all_correct() -> BTreeMap<String, String> {
        QUESTIONS
            .iter()
            .map(|q| (q.id.to_string(), q.correct.to_string()))
            .collect()
    }

    fn a_wrong_option(q: &Question) -> String {
        q.options
            .iter()
            .find(|o| **o != q.correct)
            .unwrap()
            .to_string()
    }

    fn with_wrong(n: usize) -> BTreeMap<String, String> {
        let mut answers = all_correct();
        for q in QUESTIONS.iter().take(n) {
            answers.insert(q.id.to_string(), a_wrong_option(q));
        }
        answers
    }

    #[test]
    fn all_right_scores_six_and_passes() {
        assert_eq!(QUESTIONS.len(), 6);
        assert_eq!(score(&all_correct()), Ok(6));
        assert!(passed(6));
    }

    #[test]
    fn one_wrong_still_passes_two_do_not() {
        assert_eq!(score(&with_wrong(1)), Ok(5));
        assert!(passed(5));
        assert_eq!(score(&with_wrong(2)), Ok(4));
        assert!(!passed(4));
        assert_eq!(score(&with_wrong(QUESTIONS.len())), Ok(0));
        assert!(!passed(0));
    }

    #[test]
    fn a_missing_answer_is_an_error() {
        let mut answers = all_correct();
        answers.remove("dilution");
        assert_eq!(score(&answers), Err(AnswerError::Unanswered("dilution")));
        assert_eq!(
            score(&BTreeMap::new()),
            Err(AnswerError::Unanswered("total_loss"))
        );
    }

    #[test]
    fn an_answer_to_an_unknown_question_is_an_error() {
        let mut answers = all_correct();
        answers.insert("leverage".into(), "a".into());
        assert_eq!(
            score(&answers),
            Err(AnswerError::UnknownQuestion("leverage".into()))
        );
        // Ids match exactly.
        let mut answers = all_correct();
        let right = answers.remove("liquidity").unwrap();
        answers.insert("Liquidity".into(), right);
        assert_eq!(
            score(&answers),
            Err(AnswerError::UnknownQuestion("Liquidity".into()))
        );
    }

    #[test]
    fn an_answer_that_is_no_option_is_an_error() {
        for bad in ["d", "", "A", " b"] {
            let mut answers = all_correct();
            answers.insert("reflection".into(), bad.into());
            assert_eq!(
                score(&answers),
                Err(AnswerError::UnknownOption {
                    question: "reflection",
                    option: bad.into(),
                })
            );
        }
    }

    #[test]
    fn questions_are_well_formed() {
        assert!(PASS_MARK <= QUESTIONS.len());
        let mut ids: Vec<_> = QUESTIONS.iter().map(|q| q.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), QUESTIONS.len(), "a question id used twice");
        for q in QUESTIONS {
            assert!(
                q.options.contains(&q.correct),
                "{}: the right answer is no option",
                q.id
            );
            let mut options = q.options.to_vec();
            options.sort_unstable();
            options.dedup();
            assert_eq!(options.len(), q.options.len(), "{}: an option twice", q.id);
            assert!(q.options.len() >= 2, "{}: nothing to choose", q.id);
        }
        // The right answer is not always in the same place.
        let first = QUESTIONS[0].correct;
        assert!(QUESTIONS.iter().any(|q| q.correct != first));
    }

    /// The ids made at run time name messages both locales define, and the
    /// test's file defines nothing else.
    #[test]
    fn every_text_of_the_test_is_in_both_locales() {
        let mut made = vec![
            "knowledge-test-title".to_string(),
            "knowledge-test-intro".to_string(),
        ];
        for q in QUESTIONS {
            made.push(question_key(q));
            made.extend(q.options.iter().map(|o| option_key(q, o)));
        }
        made.sort();
        for locale in Locale::ALL {
            let defined: Vec<String> = defined_keys(locale)
                .into_iter()
                .filter(|k| k.starts_with("knowledge-test-"))
                .collect();
            assert_eq!(defined, made, "{}", locale.tag());
            for key in &made {
                let text = Text::made(key.clone()).render(locale).unwrap();
                assert!(!text.trim().is_empty(), "{}: {key}", locale.tag());
            }
        }
    }
}
