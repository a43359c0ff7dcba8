//! `/me/account`, deposits and withdrawals.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::record;
use crate::domain::{Amount, Role};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::wallet;

use super::audit;
use super::blocking::with_conn;
use super::extractors::{AuthUser, InvestorUser};
use super::idempotency::{self, IdempotencyKey};
use super::pagination::PageQuery;
use super::query::Query;
use super::AppState;

fn account_holder(user: &AuthUser) -> Result<(), ApiError> {
    match user.role {
        Role::Investor | Role::Sponsor => Ok(()),
        Role::Operator => Err(ApiError::forbidden(Text::new(
            "problem-forbidden-operator_wallet",
        ))),
    }
}

pub async fn account(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    account_holder(&user)?;
    let currency = state.config.currency.clone();
    let view = with_conn(&state, move |conn| {
        Ok(wallet::account(conn, &user.id, user.role, &currency)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn transactions(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    account_holder(&user)?;
    let q = query.into_inner();
    let limit = q.limit()?;
    let page = with_conn(&state, move |conn| {
        Ok(wallet::statement(
            conn,
            &user.id,
            user.role,
            q.cursor.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountBody {
    #[serde(deserialize_with = "super::json_int::exact")]
    amount: i64,
}

pub async fn deposit(
    req: HttpRequest,
    state: web::Data<AppState>,
    investor: InvestorUser,
    key: IdempotencyKey,
    body: web::Json<AmountBody>,
) -> Result<HttpResponse, ApiError> {
    let fingerprint = idempotency::fingerprint(&req, &json!({"amount": body.amount}));
    let amount = Amount::parse("amount", body.amount)?;
    let currency = state.config.currency.clone();
    let user_id = investor.0.id.clone();
    idempotency::run(
        &state,
        investor.0.id,
        key,
        fingerprint,
        StatusCode::CREATED,
        move |conn| {
            let view = wallet::create_deposit(conn, &user_id, amount, &currency)?;
            serde_json::to_value(view).map_err(ApiError::internal)
        },
    )
    .await
}

pub async fn deposits(
    state: web::Data<AppState>,
    investor: InvestorUser,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(wallet::deposits(
            conn,
            &investor.0.id,
            q.cursor.as_deref(),
            limit,
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn withdrawals(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    account_holder(&user)?;
    let q = query.into_inner();
    let limit = q.limit()?;
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(wallet::withdrawals(
            conn,
            &user.id,
            q.cursor.as_deref(),
            limit,
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn withdraw(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    body: web::Json<AmountBody>,
) -> Result<HttpResponse, ApiError> {
    account_holder(&user)?;
    let fingerprint = idempotency::fingerprint(&req, &json!({"amount": body.amount}));
    let amount = Amount::parse("amount", body.amount)?;
    let currency = state.config.currency.clone();
    let (user_id, role) = (user.id.clone(), user.role);
    let actor = audit::actor(&req, &user);
    idempotency::run(
        &state,
        user.id,
        key,
        fingerprint,
        StatusCode::CREATED,
        move |conn| {
            let view = wallet::create_withdrawal(conn, &user_id, role, amount, &currency)?;
            let details = json!({"amount": view.amount, "reference": view.reference});
            record(
                conn,
                &actor,
                "withdrawal.requested",
                "withdrawal",
                &view.id,
                &details,
            )?;
            serde_json::to_value(view).map_err(ApiError::internal)
        },
    )
    .await
}
