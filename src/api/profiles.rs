//! `/me/investor-profile` and the operators' KYC queue.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::kyc::{InvestorProfileInput, KycStatus, MarketDeclarations};
use crate::domain::text::{self, Lines};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::profiles;

use super::audit;
use super::blocking::with_conn;
use super::extractors::{InvestorUser, OperatorUser};
use super::pagination::check_limit;
use super::query::Query;
use super::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    legal_name: String,
    country: String,
    #[serde(deserialize_with = "super::json_int::exact")]
    annual_income: i64,
    #[serde(deserialize_with = "super::json_int::exact")]
    net_worth: i64,
    accredited: bool,
    #[serde(default, deserialize_with = "super::json_int::exact")]
    external_investments_12m: i64,
    /// `individual` (the default) or `institution` (cn_private).
    #[serde(default)]
    investor_type: Option<String>,
    #[serde(default, deserialize_with = "super::json_int::exact")]
    financial_assets: i64,
    #[serde(default, deserialize_with = "super::json_int::exact")]
    average_income_3y: i64,
    /// A sophisticated investor (eu_ecsp).
    #[serde(default)]
    sophisticated: bool,
}

pub async fn put_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: InvestorUser,
    body: web::Json<ProfileBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = audit::actor(&req, &user.0);
    let b = body.into_inner();
    let input = InvestorProfileInput::parse(
        &b.legal_name,
        &b.country,
        b.annual_income,
        b.net_worth,
        b.accredited,
        b.external_investments_12m,
        MarketDeclarations::parse(
            b.investor_type.as_deref(),
            b.financial_assets,
            b.average_income_3y,
            b.sophisticated,
        )?,
    )?;
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(profiles::put_profile(
            conn,
            &user.0.id,
            &input,
            &config.rules,
            &config.currency,
            &actor,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn get_profile(
    state: web::Data<AppState>,
    user: InvestorUser,
) -> Result<HttpResponse, ApiError> {
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(profiles::get_profile(
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
pub struct KycQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list_kyc(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    query: Query<KycQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None => KycStatus::Pending,
        Some(s) => KycStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                Text::new("problem-invalid_query-kyc_status"),
            )
        })?,
    };
    let limit = check_limit(q.limit)?;
    let page = with_conn(&state, move |conn| {
        Ok(profiles::list_kyc(
            conn,
            status,
            q.cursor.as_deref(),
            Some(limit),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KycDecisionBody {
    decision: String,
    reason: Option<String>,
    /// The profile version the operator reviewed (`submitted_at` in the
    /// queue); required, so that no decision applies to figures nobody saw.
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn decide_kyc(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
    body: web::Json<KycDecisionBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let decision = match b.decision.as_str() {
        "approved" => KycStatus::Approved,
        "rejected" => KycStatus::Rejected,
        _ => {
            return Err(ApiError::invalid_field(
                "decision",
                Text::new("problem-invalid_field-kyc_decision"),
            ))
        }
    };
    let reason = b
        .reason
        .as_deref()
        .map(|r| text::clean("reason", r, 1000, Lines::Many))
        .transpose()?
        .filter(|r| !r.is_empty());
    if decision == KycStatus::Rejected && reason.is_none() {
        return Err(ApiError::invalid_field(
            "reason",
            Text::new("problem-invalid_field-kyc_reason"),
        ));
    }
    let Some(submitted_at) = b.submitted_at else {
        return Err(ApiError::invalid_field(
            "submitted_at",
            Text::new("problem-invalid_field-kyc_submitted_at"),
        ));
    };
    let seen = {
        use chrono::SubsecRound;
        submitted_at.naive_utc().trunc_subsecs(6)
    };
    let investor_id = path.into_inner();
    let config = state.config.clone();
    let actor = audit::actor(&req, &operator.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = profiles::decide_kyc(
            conn,
            &operator.0.id,
            &investor_id,
            decision,
            reason.as_deref(),
            seen,
            &config.rules,
            &config.currency,
        )?;
        let entry = audit::Entry {
            action: "kyc.decided",
            subject_type: "investor",
            subject_id: investor_id.clone(),
            details: json!({"decision": decision.as_str(), "reason": reason}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
