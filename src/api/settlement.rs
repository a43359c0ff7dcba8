//! Settlement, refunds, holdings and cap tables.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::db::audit::record;
use crate::error::ApiError;
use crate::services::offerings::Viewer;
use crate::services::{holdings, settlement};

use super::audit;
use super::blocking::with_conn;
use super::extractors::{AuthUser, InvestorUser, OperatorUser};
use super::idempotency::{self, IdempotencyKey};
use super::pagination::PageQuery;
use super::query::Query;
use super::AppState;

pub async fn settle(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let offering_id = path.into_inner();
    let fingerprint = idempotency::fingerprint(&req, &json!({}));
    let config = state.config.clone();
    let actor = audit::actor(&req, &operator.0);
    let operator_id = operator.0.id.clone();
    idempotency::run(&state, operator.0.id, key, fingerprint, StatusCode::OK, move |conn| {
        let view = settlement::settle(conn, &offering_id, &operator_id, &config.rules, &config.currency)?;
        let details = json!({"gross": view.gross, "fee": view.fee, "sponsor_payout": view.sponsor_payout,
                             "entry_id": view.entry_id, "subscriptions": view.subscriptions_settled});
        record(conn, &actor, "offering.settled", "offering", &offering_id, &details)?;
        serde_json::to_value(view).map_err(ApiError::internal)
    })
    .await
}

/// What settling a funded round would pay out now: computed as settlement
/// computes it, changing nothing (no Idempotency-Key).
pub async fn quote(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let offering_id = path.into_inner();
    let config = state.config.clone();
    let quote = with_conn(&state, move |conn| {
        Ok(settlement::quote(
            conn,
            &offering_id,
            config.rules.platform_fee_bps,
            &config.currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(quote))
}

pub async fn refund(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let offering_id = path.into_inner();
    let fingerprint = idempotency::fingerprint(&req, &json!({}));
    let currency = state.config.currency.clone();
    let actor = audit::actor(&req, &operator.0);
    idempotency::run(&state, operator.0.id, key, fingerprint, StatusCode::OK, move |conn| {
        let view = settlement::refund(conn, &offering_id, &currency)?;
        let details = json!({"subscriptions": view.subscriptions_refunded, "amount": view.amount_refunded});
        record(conn, &actor, "offering.refunded", "offering", &offering_id, &details)?;
        serde_json::to_value(view).map_err(ApiError::internal)
    })
    .await
}

pub async fn my_holdings(
    state: web::Data<AppState>,
    investor: InvestorUser,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let page = with_conn(&state, move |conn| {
        Ok(holdings::mine(
            conn,
            &investor.0.id,
            q.cursor.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn cap_table(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let id = path.into_inner();
    let viewer = Viewer {
        user_id: user.id,
        role: user.role,
    };
    let table = with_conn(&state, move |conn| {
        Ok(holdings::cap_table(
            conn,
            &viewer,
            &id,
            q.cursor.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(table))
}
