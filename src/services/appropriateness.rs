//! What the EU crowdfunding regulation (Regulation (EU) 2020/1503, ECSP)
//! has a non-sophisticated investor do before investing, under
//! `RULE_PROFILE=eu_ecsp`:
//! - the entry knowledge test (art. 21(2)-(4); the questions are in
//!   [`crate::domain::rules::knowledge_test`]), in force two years;
//! - the simulation of their ability to bear loss, 10% of their net worth
//!   (art. 21(5)), which they acknowledge.
//!
//! The subscribe path asks for both (`knowledge_test_required`,
//! `loss_simulation_required`). Under another rule profile none of this
//! exists: 409 `not_under_rule_profile`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::config::Rules;
use crate::db::audit::Actor;
use crate::db::profiles::InvestorProfile;
use crate::db::{clock, write_transaction, AnyConnection};
use crate::domain::rules::knowledge_test::{self, AnswerError, PASS_MARK, QUESTIONS};
use crate::domain::rules::{eu_ecsp, Profile};
use crate::i18n::{Locale, Text};

use super::error::{not_found, Refusal, RefusalKind, ServiceError, ServiceResult};
use super::rate_limits::{Attempt, LimitError, RateLimits};
use super::views::utc;

/// 409 `not_under_rule_profile` unless the deployment runs under eu_ecsp.
pub fn require_ecsp(rules: &Rules) -> ServiceResult<()> {
    if rules.profile == Profile::EuEcsp {
        return Ok(());
    }
    let profile = rules.profile.as_str();
    Err(Refusal::new(
        RefusalKind::Conflict,
        "not_under_rule_profile",
        Text::new("problem-not_under_rule_profile").text("rule_profile", profile),
    )
    .with("rule_profile", profile)
    .into())
}

/// The knowledge test as an investor is shown it, in one language: the
/// questions and their options, never which option is right.
#[derive(Debug, Clone, Serialize)]
pub struct KnowledgeTestView {
    pub title: String,
    pub intro: String,
    pub questions: Vec<QuestionView>,
    pub pass_mark: usize,
    pub question_count: usize,
    /// The last pass (kept through later failed attempts).
    pub passed_at: Option<DateTime<Utc>>,
    /// When that pass stops being in force (two years on).
    pub valid_until: Option<DateTime<Utc>>,
    /// The score of the last attempt, passed or not.
    pub last_score: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct QuestionView {
    pub id: &'static str,
    pub text: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionView {
    pub id: &'static str,
    pub text: String,
}

fn written(key: String, locale: Locale) -> String {
    Text::made(key).in_locale(locale)
}

fn valid_until(passed_at: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    passed_at.map(|at| utc(at + eu_ecsp::KNOWLEDGE_TEST_VALID_FOR))
}

fn investor_profile(conn: &mut AnyConnection, user_id: &str) -> ServiceResult<InvestorProfile> {
    InvestorProfile::find(conn, user_id)?.ok_or_else(|| not_found("investor profile"))
}

/// The test in `locale`, with where the investor stands.
pub fn knowledge_test(
    conn: &mut AnyConnection,
    user_id: &str,
    rules: &Rules,
    locale: Locale,
) -> ServiceResult<KnowledgeTestView> {
    require_ecsp(rules)?;
    let profile = investor_profile(conn, user_id)?;
    let questions = QUESTIONS
        .iter()
        .map(|q| QuestionView {
            id: q.id,
            text: written(knowledge_test::question_key(q), locale),
            options: q
                .options
                .iter()
                .map(|o| OptionView {
                    id: o,
                    text: written(knowledge_test::option_key(q, o), locale),
                })
                .collect(),
        })
        .collect();
    Ok(KnowledgeTestView {
        title: written("knowledge-test-title".into(), locale),
        intro: written("knowledge-test-intro".into(), locale),
        questions,
        pass_mark: PASS_MARK,
        question_count: QUESTIONS.len(),
        passed_at: profile.knowledge_test_passed_at.map(utc),
        valid_until: valid_until(profile.knowledge_test_passed_at),
        last_score: profile.knowledge_test_score,
    })
}

/// The result of one attempt at the test.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    /// Whether this attempt passed.
    pub passed: bool,
    pub score: usize,
    pub pass_mark: usize,
    /// The pass in force after it: this attempt's, or an earlier one.
    pub passed_at: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Counts an attempt at the test against the account's limit
/// (KNOWLEDGE_TEST_RATE_LIMIT_PER_ACCOUNT, 3 a day): each attempt's score is
/// shown, and unlimited attempts would find the answers by trial. Counted
/// in its own transaction, so that refused attempts count too.
fn count_attempt(
    conn: &mut AnyConnection,
    user_id: &str,
    limits: &RateLimits,
) -> ServiceResult<()> {
    limits
        .hit(
            conn,
            Attempt::KnowledgeTest {
                account_id: user_id,
            },
        )
        .map_err(|e| match e {
            LimitError::Exceeded(e) => Refusal::new(
                RefusalKind::TooMany,
                "rate_limited",
                Text::new("problem-rate_limited-knowledge_test"),
            )
            .with("retry_after", e.retry_after_secs)
            .into(),
            LimitError::Database(e) => e.into(),
        })
}

/// Scores an answer sheet (question id → option id) and records it: the
/// score always, and, when it passes, the pass at the database's clock.
///
/// A failed attempt does not erase an earlier pass: whatever its age, the
/// last pass stays recorded as it was, and stays in force until two years
/// after it was made (the rule of art. 21 is a review every two years, not
/// a new test at every attempt). An answer sheet that does not answer every
/// question with one of its options is 422 `invalid_field` and records
/// nothing; a scored attempt counts against the account's daily limit.
pub fn take_knowledge_test(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: &str,
    rules: &Rules,
    limits: &RateLimits,
    answers: &BTreeMap<String, String>,
) -> ServiceResult<TestOutcome> {
    require_ecsp(rules)?;
    // A sheet that cannot be scored learns nothing, and does not count.
    let score = knowledge_test::score(answers).map_err(unacceptable)?;
    count_attempt(conn, user_id, limits)?;
    write_transaction(conn, |conn| {
        let profile = investor_profile(conn, user_id)?;
        let passed = knowledge_test::passed(score);
        let now = clock(conn)?;
        let new_pass = passed.then_some(now);
        let recorded = i32::try_from(score).unwrap_or(i32::MAX);
        InvestorProfile::record_knowledge_test(conn, user_id, recorded, new_pass)?;
        crate::db::audit::record(
            conn,
            actor,
            "investor.knowledge_test",
            "investor",
            user_id,
            &json!({"score": score, "pass_mark": PASS_MARK, "passed": passed, "answers": answers}),
        )?;
        let in_force = new_pass.or(profile.knowledge_test_passed_at);
        Ok(TestOutcome {
            passed,
            score,
            pass_mark: PASS_MARK,
            passed_at: in_force.map(utc),
            valid_until: valid_until(in_force),
        })
    })
}

/// An id a client sent, as a problem repeats it: at most 64 characters.
fn as_sent(id: &str) -> String {
    const MAX: usize = 64;
    match id.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &id[..cut]),
        None => id.to_string(),
    }
}

/// Why an answer sheet cannot be scored, as 422 `invalid_field` (field
/// `answers`) naming the question, and the option when that is what is
/// wrong.
fn unacceptable(e: AnswerError) -> ServiceError {
    let refusal = |detail: Text, question: String| {
        Refusal::new(RefusalKind::Invalid, "invalid_field", detail)
            .with("field", "answers")
            .with("question", question)
    };
    let refusal = match e {
        AnswerError::Unanswered(question) => refusal(
            Text::new("problem-invalid_field-knowledge_test-unanswered").text("question", question),
            question.to_string(),
        ),
        AnswerError::UnknownQuestion(question) => {
            let question = as_sent(&question);
            refusal(
                Text::new("problem-invalid_field-knowledge_test-unknown_question")
                    .text("question", question.clone()),
                question,
            )
        }
        AnswerError::UnknownOption { question, option } => {
            let option = as_sent(&option);
            refusal(
                Text::new("problem-invalid_field-knowledge_test-unknown_option")
                    .text("question", question)
                    .text("option", option.clone()),
                question.to_string(),
            )
            .with("option", option)
        }
    };
    refusal.into()
}

/// The loss simulation: the ability to bear loss the investor's net worth
/// gives, and what they acknowledged.
#[derive(Debug, Clone, Serialize)]
pub struct LossSimulationView {
    /// The approved figure when there is one in force, else the declared.
    pub net_worth: i64,
    /// 10% of it.
    pub loss_capacity: i64,
    pub currency: String,
    /// `approved` or `declared`: which net worth this is.
    pub basis: &'static str,
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// The ability to bear loss shown when it was acknowledged.
    pub acknowledged_loss_capacity: Option<i64>,
}

fn simulation_of(profile: &InvestorProfile, currency: &str) -> LossSimulationView {
    let (net_worth, basis) = match profile.approved_basis() {
        Some(b) => (b.finances.net_worth, "approved"),
        None => (profile.net_worth, "declared"),
    };
    LossSimulationView {
        net_worth,
        loss_capacity: eu_ecsp::loss_capacity(net_worth),
        currency: currency.to_string(),
        basis,
        acknowledged_at: profile.loss_simulation_at.map(utc),
        acknowledged_loss_capacity: profile.loss_capacity,
    }
}

pub fn loss_simulation(
    conn: &mut AnyConnection,
    user_id: &str,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<LossSimulationView> {
    require_ecsp(rules)?;
    let profile = investor_profile(conn, user_id)?;
    Ok(simulation_of(&profile, currency))
}

/// The investor acknowledges the simulation: records when (the database's
/// clock) and the ability to bear loss it showed, on the figures as they
/// are now. Acknowledging again records the figure of the day again.
pub fn acknowledge_loss_simulation(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: &str,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<LossSimulationView> {
    require_ecsp(rules)?;
    write_transaction(conn, |conn| {
        let profile = investor_profile(conn, user_id)?;
        let mut view = simulation_of(&profile, currency);
        let now = clock(conn)?;
        InvestorProfile::record_loss_simulation(conn, user_id, now, view.loss_capacity)?;
        crate::db::audit::record(
            conn,
            actor,
            "investor.loss_simulation",
            "investor",
            user_id,
            &json!({"net_worth": view.net_worth, "loss_capacity": view.loss_capacity,
                    "basis": view.basis, "currency": view.currency}),
        )?;
        view.acknowledged_at = Some(utc(now));
        view.acknowledged_loss_capacity = Some(view.loss_capacity);
        Ok(view)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_sent_back_is_cut_at_64_characters() {
        assert_eq!(as_sent("reflection"), "reflection");
        let long = "é".repeat(70);
        assert_eq!(as_sent(&long), format!("{}…", "é".repeat(64)));
        assert_eq!(as_sent(&"x".repeat(64)), "x".repeat(64));
    }

    #[test]
    fn each_answer_fault_names_its_question() {
        let ServiceError::Refused(r) = unacceptable(AnswerError::UnknownOption {
            question: "dilution",
            option: "d".into(),
        }) else {
            panic!("not a refusal")
        };
        assert_eq!(r.kind, RefusalKind::Invalid);
        assert_eq!(r.code, "invalid_field");
        assert_eq!(r.figures["field"], "answers");
        assert_eq!(r.figures["question"], "dilution");
        assert_eq!(r.figures["option"], "d");
        for locale in Locale::ALL {
            let text = r.detail.render(locale).unwrap();
            assert!(text.contains("dilution") && text.contains('d'), "{text}");
        }
        for e in [
            AnswerError::Unanswered("liquidity"),
            AnswerError::UnknownQuestion("leverage".into()),
        ] {
            let ServiceError::Refused(r) = unacceptable(e) else {
                panic!("not a refusal")
            };
            for locale in Locale::ALL {
                r.detail.render(locale).unwrap();
            }
        }
    }
}
