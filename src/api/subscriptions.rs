//! Subscribing, cancelling, and an investor's own subscriptions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::record;
use crate::domain::Shares;
use crate::error::ApiError;
use crate::services::subscriptions;

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::InvestorUser;
use super::idempotency::{self, IdempotencyKey};
use super::pagination::PageQuery;
use super::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    shares: i64,
}

pub async fn subscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    investor: InvestorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: web::Json<SubscribeBody>,
) -> Result<HttpResponse, ApiError> {
    let shares_raw = body.shares;
    let fingerprint = idempotency::fingerprint(&req, &json!({"shares": shares_raw}));
    let shares = Shares::parse(shares_raw)?;
    let offering_id = path.into_inner();
    let config = state.config.clone();
    let investor_id = investor.0.id.clone();
    let actor = audit::actor(&req, &investor.0);
    idempotency::run(&state, investor.0.id, key, fingerprint, StatusCode::CREATED, move |conn| {
        let view = subscriptions::subscribe(conn, &investor_id, &offering_id, shares, &config.rules, &config.currency)?;
        let details = json!({"offering_id": offering_id, "shares": view.shares, "amount": view.amount,
                             "offering_status": view.offering_status});
        record(conn, &actor, "subscription.created", "subscription", &view.id, &details)?;
        serde_json::to_value(view).map_err(ApiError::internal)
    })
    .await
}

pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    investor: InvestorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let config = state.config.clone();
    let actor = audit::actor(&req, &investor.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view =
            subscriptions::cancel(conn, &investor.0.id, &id, &config.rules, &config.currency)?;
        let details = json!({"offering_id": view.offering_id, "amount": view.amount});
        let entry = Entry {
            action: "subscription.cancelled",
            subject_type: "subscription",
            subject_id: id,
            details,
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn list_mine(
    state: web::Data<AppState>,
    investor: InvestorUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let page = with_conn(&state, move |conn| {
        Ok(subscriptions::list_mine(
            conn,
            &investor.0.id,
            q.cursor.as_deref(),
            Some(limit),
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}
