//! Subscribing, cancelling, and an investor's own subscriptions.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::Shares;
use crate::error::ApiError;
use crate::pipeline::SubscribeRequest;
use crate::services::subscriptions;

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::InvestorUser;
use super::idempotency::{self, IdempotencyKey};
use super::pagination::PageQuery;
use super::query::Query;
use super::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeBody {
    #[serde(deserialize_with = "super::json_int::exact")]
    shares: i64,
    /// eu_ecsp: the investor acknowledges the warning of an investment above
    /// their threshold (the refusal `risk_warning_required` says when).
    #[serde(default)]
    acknowledge_risk: bool,
}

pub async fn subscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    investor: InvestorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: web::Json<SubscribeBody>,
) -> Result<HttpResponse, ApiError> {
    // (Without the acknowledgement, what requests before it existed sent.)
    let fingerprint = if body.acknowledge_risk {
        idempotency::fingerprint(
            &req,
            &json!({"shares": body.shares, "acknowledge_risk": true}),
        )
    } else {
        idempotency::fingerprint(&req, &json!({"shares": body.shares}))
    };
    let request = Shares::parse(body.shares).map(|shares| SubscribeRequest {
        investor_id: investor.0.id.clone(),
        offering_id: path.into_inner(),
        shares,
        acknowledge_risk: body.acknowledge_risk,
        key: key.0,
        fingerprint,
        actor: audit::actor(&req, &investor.0),
    });
    let reply = match request {
        Ok(request) => state.pipeline.subscribe(request).await,
        Err(refused) => Err(ApiError::from(refused)),
    };
    crate::metrics::subscriptions::outcome(match &reply {
        Ok(reply) if reply.replayed => "replayed",
        Ok(reply) => reply.code.unwrap_or("accepted"),
        Err(error) => error.code,
    });
    let reply = reply?;
    Ok(idempotency::respond(
        reply.status,
        reply.body,
        reply.replayed,
        reply.problem,
    ))
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
        let (view, how) = subscriptions::cancel(conn, &investor.0.id, &id, &config)?;
        let details = json!({"offering_id": view.offering_id, "amount": view.amount});
        let entry = Entry {
            action: how.action(),
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
    query: Query<PageQuery>,
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
