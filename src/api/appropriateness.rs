//! `/me/knowledge-test` and `/me/loss-simulation`: the steps the EU
//! crowdfunding rules ask of a non-sophisticated investor before investing
//! (see [`crate::services::appropriateness`]); 409 `not_under_rule_profile`
//! under other rules.

use std::collections::BTreeMap;

use actix_web::http::header::{ACCEPT_LANGUAGE, VARY};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::appropriateness;

use super::audit;
use super::blocking::with_conn;
use super::extractors::InvestorUser;
use super::json_object::Object;
use super::language::AcceptLanguage;
use super::AppState;

/// `GET /api/v1/me/knowledge-test`: the questions in the request's
/// language (`Accept-Language`, else the deployment's), never the answers,
/// and the investor's last pass and score.
pub async fn get_knowledge_test(
    state: web::Data<AppState>,
    user: InvestorUser,
    asked: AcceptLanguage,
) -> Result<HttpResponse, ApiError> {
    let locale = asked.0.unwrap_or(state.config.language.locale);
    let rules = state.config.rules.clone();
    let view = with_conn(&state, move |conn| {
        Ok(appropriateness::knowledge_test(
            conn, &user.0.id, &rules, locale,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((VARY, ACCEPT_LANGUAGE.as_str()))
        .json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswersFields {
    /// Question id → option id, every question answered.
    answers: BTreeMap<String, String>,
}

/// `POST /api/v1/me/knowledge-test`: an attempt, scored and recorded.
pub async fn take_knowledge_test(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: InvestorUser,
    body: web::Json<Object<AnswersFields>>,
) -> Result<HttpResponse, ApiError> {
    let answers = body.into_inner().0.answers;
    let actor = audit::actor(&req, &user.0);
    let config = state.config.clone();
    let outcome = with_conn(&state, move |conn| {
        Ok(appropriateness::take_knowledge_test(
            conn,
            &actor,
            &user.0.id,
            &config.rules,
            &config.rate_limits,
            &answers,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

/// `GET /api/v1/me/loss-simulation`: the ability to bear loss (10% of the
/// net worth) and whether it was acknowledged.
pub async fn get_loss_simulation(
    state: web::Data<AppState>,
    user: InvestorUser,
) -> Result<HttpResponse, ApiError> {
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(appropriateness::loss_simulation(
            conn,
            &user.0.id,
            &config.rules,
            &config.currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeFields {
    #[serde(default)]
    acknowledged: Option<bool>,
}

/// `POST /api/v1/me/loss-simulation` `{"acknowledged": true}`.
pub async fn acknowledge_loss_simulation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: InvestorUser,
    body: web::Json<Object<AcknowledgeFields>>,
) -> Result<HttpResponse, ApiError> {
    // Under other rules, that first, whatever the body says.
    appropriateness::require_ecsp(&state.config.rules)?;
    if body.into_inner().0.acknowledged != Some(true) {
        return Err(ApiError::invalid_field(
            "acknowledged",
            Text::new("problem-invalid_field-loss_simulation-acknowledged"),
        ));
    }
    let actor = audit::actor(&req, &user.0);
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(appropriateness::acknowledge_loss_simulation(
            conn,
            &actor,
            &user.0.id,
            &config.rules,
            &config.currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
