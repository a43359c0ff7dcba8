//! `/offerings`: the public catalogue, sponsors' drafts, operators' review.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::json;

use crate::db::page::SortKey;
use crate::domain::offering;
use crate::domain::text::{self, Lines};
use crate::domain::{OfferingStatus, OfferingTerms};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::offerings::{self, PublicQuery, TermsPatch, Viewer, SORTS};

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::{AuthUser, MaybeUser, OperatorUser, SponsorUser};
use super::pagination::{check_limit, PageQuery};
use super::query::{search_text, Query};
use super::AppState;

pub(super) fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    use chrono::SubsecRound;
    t.naive_utc().trunc_subsecs(6)
}

pub(super) fn viewer(user: &AuthUser) -> Viewer {
    Viewer {
        user_id: user.id.clone(),
        role: user.role,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    title: String,
    summary: String,
    #[serde(default)]
    description: String,
    security_type: String,
    #[serde(deserialize_with = "super::json_int::exact")]
    price_per_share: i64,
    #[serde(deserialize_with = "super::json_int::exact")]
    target_amount: i64,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    min_raise: Option<i64>,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    min_subscription: Option<i64>,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    max_per_investor: Option<i64>,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    max_investors: Option<i64>,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    lead_min_bps: Option<i64>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: DateTime<Utc>,
}

pub async fn create(
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let terms = OfferingTerms {
        min_raise: b.min_raise.unwrap_or(b.target_amount),
        min_subscription: b.min_subscription.unwrap_or(b.price_per_share),
        title: offering::tidy_title(&b.title)?,
        summary: offering::tidy_summary(&b.summary)?,
        description: offering::tidy_description(&b.description)?,
        security_type: b.security_type,
        price_per_share: b.price_per_share,
        target_amount: b.target_amount,
        max_per_investor: b.max_per_investor,
        max_investors: b.max_investors,
        lead_min_bps: b.lead_min_bps.map(bps_field).transpose()?,
        opens_at: b.opens_at.map(naive),
        closes_at: naive(b.closes_at),
    };
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(offerings::create(
            conn,
            &sponsor.0.id,
            &terms,
            &config.rules,
            &config.currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Basis points as the terms keep them (1..=10,000, checked with the terms).
fn bps_field(v: i64) -> Result<i32, ApiError> {
    i32::try_from(v).map_err(|_| {
        ApiError::from(crate::domain::FieldError::new(
            "lead_min_bps",
            Text::new("problem-invalid_field-lead_min_bps"),
        ))
    })
}

/// Distinguishes an absent field (None) from an explicit null (Some(None)).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    title: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    security_type: Option<String>,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    price_per_share: Option<i64>,
    #[serde(default, deserialize_with = "super::json_int::optional")]
    target_amount: Option<i64>,
    #[serde(default, deserialize_with = "super::json_int::present")]
    min_raise: Option<Option<i64>>,
    #[serde(default, deserialize_with = "super::json_int::present")]
    min_subscription: Option<Option<i64>>,
    #[serde(default, deserialize_with = "super::json_int::present")]
    max_per_investor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "super::json_int::present")]
    max_investors: Option<Option<i64>>,
    #[serde(default, deserialize_with = "super::json_int::present")]
    lead_min_bps: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    opens_at: Option<Option<DateTime<Utc>>>,
    closes_at: Option<DateTime<Utc>>,
}

pub async fn patch(
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    path: web::Path<String>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let patch = TermsPatch {
        title: b.title.as_deref().map(offering::tidy_title).transpose()?,
        summary: b
            .summary
            .as_deref()
            .map(offering::tidy_summary)
            .transpose()?,
        description: b
            .description
            .as_deref()
            .map(offering::tidy_description)
            .transpose()?,
        security_type: b.security_type,
        price_per_share: b.price_per_share,
        target_amount: b.target_amount,
        min_raise: b.min_raise,
        min_subscription: b.min_subscription,
        max_per_investor: b.max_per_investor,
        max_investors: b.max_investors,
        lead_min_bps: b
            .lead_min_bps
            .map(|v| v.map(bps_field).transpose())
            .transpose()?,
        opens_at: b.opens_at.map(|o| o.map(naive)),
        closes_at: b.closes_at.map(naive),
    };
    let id = path.into_inner();
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(offerings::update_draft(
            conn,
            &sponsor.0.id,
            &id,
            patch,
            &config.rules,
            &config.currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn submit(
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        Ok(offerings::submit(
            conn,
            &sponsor.0.id,
            &id,
            config.rules.min_offering_duration,
            &config.currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let currency = state.config.currency.clone();
    let actor = audit::actor(&req, &user);
    let view = audit::audited(&state, actor, move |conn| {
        let view = offerings::cancel(conn, &viewer(&user), &id, &currency)?;
        Ok((
            view,
            Entry {
                action: "offering.cancelled",
                subject_type: "offering",
                subject_id: id,
                details: json!({}),
            },
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn approve(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let config = state.config.clone();
    let actor = audit::actor(&req, &operator.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = offerings::approve(
            conn,
            &id,
            config.rules.min_offering_duration,
            config.rules.platform_fee_bps,
            &config.currency,
        )?;
        let entry = Entry {
            action: "offering.approved",
            subject_type: "offering",
            subject_id: id,
            details: json!({"opens_at": view.opens_at, "closes_at": view.closes_at,
                            "fee_bps": view.fee_bps}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    reason: String,
}

pub async fn reject(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
    body: web::Json<RejectBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = text::required("reason", &body.into_inner().reason, 2000, Lines::Many)?;
    let id = path.into_inner();
    let currency = state.config.currency.clone();
    let actor = audit::actor(&req, &operator.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = offerings::reject(conn, &id, &reason, &currency)?;
        let entry = Entry {
            action: "offering.rejected",
            subject_type: "offering",
            subject_id: id,
            details: json!({"reason": reason}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn get_one(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let currency = state.config.currency.clone();
    let view = with_conn(&state, move |conn| {
        Ok(offerings::get(
            conn,
            &id,
            user.0.as_ref().map(viewer).as_ref(),
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

fn status_in_query(s: &str) -> Result<OfferingStatus, ApiError> {
    s.parse::<OfferingStatus>().map_err(|_| {
        ApiError::bad_request(
            "invalid_query",
            Text::new("problem-invalid_query-offering_status").text("status", format!("{s:?}")),
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The catalogue is the same for every caller; a caller's token is still
/// checked, by the rule every public route follows (see [`MaybeUser`]).
pub async fn list(
    state: web::Data<AppState>,
    _caller: MaybeUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(status_in_query(s)?),
    };
    let sort_text = q.sort.as_deref().unwrap_or("-created_at");
    let sort = SortKey::parse(sort_text, &SORTS).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_query",
            Text::new("problem-invalid_query-offering_sort"),
        )
    })?;
    let search = search_text("q", q.q, 200)?;
    let limit = check_limit(q.limit)?;
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(offerings::list_public(
            conn,
            PublicQuery {
                status,
                search,
                sort,
                cursor: q.cursor,
                limit,
            },
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Operators' lists of offerings by status, whatever it is: the review
/// queue (the default, `in_review`), drafts, or any later status.
pub async fn list_for_operator(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    query: Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let status = match q.status.as_deref() {
        None => OfferingStatus::InReview,
        Some(s) => status_in_query(s)?,
    };
    let limit = check_limit(q.limit)?;
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(offerings::list_by_status(
            conn,
            status,
            q.cursor.as_deref(),
            limit,
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn list_mine(
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(offerings::list_mine(
            conn,
            &sponsor.0.id,
            q.cursor.as_deref(),
            limit,
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn subscribers(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let id = path.into_inner();
    let page = with_conn(&state, move |conn| {
        Ok(offerings::subscribers(
            conn,
            &viewer(&user),
            &id,
            q.cursor.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}
