//! Live progress over Server-Sent Events: one offering's, and the open
//! catalogue's (see `crate::stream`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, Responder};
use actix_web_lab::sse::Sse;

use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::progress;
use crate::stream::follow::{self, Target};
use crate::stream::Seat;

use super::blocking::with_conn;
use super::extractors::MaybeUser;
use super::offerings::viewer;
use super::AppState;

/// How long a client waits before it reconnects (the `retry` field).
const RETRY_MS: u64 = 2_000;

/// `GET /offerings/{id}/events`
pub async fn offering(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<impl Responder, ApiError> {
    let last = last_event_id(&req)?;
    let id = path.into_inner();
    let target = Target::Offering(id.clone());
    let seat = seat(&state, &target)?;
    // Listening before reading: nothing committed after the read is missed.
    let live = state.hub.listen();
    let viewer = user.0.as_ref().map(viewer);
    let current = with_conn(&state, move |conn| {
        Ok(progress::of_offering(conn, &id, viewer.as_ref())?)
    })
    .await?;
    // An id past the offering's version was not this database's (one
    // restored from a backup, say): the client is sent the figures.
    let last = last.filter(|version| *version <= current.version);
    Ok(respond(&state, seat, live, target, vec![current], last))
}

/// `GET /offerings/events`
pub async fn catalogue(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<impl Responder, ApiError> {
    let last = last_event_id(&req)?;
    let seat = seat(&state, &Target::Catalogue)?;
    let live = state.hub.listen();
    let current = with_conn(&state, move |conn| Ok(progress::catalogue(conn, last)?)).await?;
    Ok(respond(
        &state,
        seat,
        live,
        Target::Catalogue,
        current,
        last,
    ))
}

fn respond(
    state: &AppState,
    seat: Seat,
    live: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::stream::Published>>,
    target: Target,
    current: Vec<crate::services::views::ProgressEvent>,
    last: Option<i64>,
) -> impl Responder {
    let heartbeat = state.hub.settings().heartbeat;
    let events = follow::events(
        seat,
        &state.hub,
        live,
        target,
        current,
        last,
        state.pool.clone(),
    );
    Sse::from_stream(events)
        .with_keep_alive(heartbeat)
        .with_retry_duration(std::time::Duration::from_millis(RETRY_MS))
        .customize()
        // Proxies (nginx) must pass events on as they come.
        .insert_header(("X-Accel-Buffering", "no"))
}

fn seat(state: &AppState, target: &Target) -> Result<Seat, ApiError> {
    state.hub.seat(target.kind()).ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_streams",
            Text::new("problem-too_many_streams"),
        )
        .retry_after(5)
    })
}

/// The `Last-Event-ID` a reconnecting client sends: the id of the last
/// event it received (a non-negative integer).
fn last_event_id(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get("Last-Event-ID") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(id) if id >= 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(id)),
        _ => Err(ApiError::bad_request(
            "invalid_last_event_id",
            Text::new("problem-invalid_last_event_id"),
        )),
    }
}
