//! `GET /operator/offerings/{id}/reconciliation`: JSON, or CSV with
//! `Accept: text/csv`, streamed page by page.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;

use crate::error::ApiError;
use crate::services::reconciliation::{self, Line, CSV_COLUMNS, CSV_HEADER};

use super::blocking::with_conn;
use super::extractors::OperatorUser;
use super::AppState;

/// Subscription lines per database round trip.
const PAGE: i64 = 2_000;

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
}

fn csv_bytes<'a>(
    records: impl IntoIterator<Item = &'a [String; CSV_COLUMNS]>,
) -> Result<Bytes, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record.iter())
            .map_err(ApiError::internal)?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))
}

enum Stage {
    Lines { after: String, first: bool },
    Tail,
    Done,
}

pub async fn report(
    req: HttpRequest,
    state: web::Data<AppState>,
    _operator: OperatorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let offering_id = path.into_inner();
    let csv = wants_csv(&req);
    let currency = state.config.currency.clone();
    let id = offering_id.clone();
    let summary = with_conn(&state, move |conn| {
        Ok(reconciliation::summary(conn, &id, &currency)?)
    })
    .await?;
    let settlement_entry = summary.settlement.as_ref().map(|s| s.entry_id.clone());

    let (head, tail) = if csv {
        let header: [String; CSV_COLUMNS] = CSV_HEADER.map(String::from);
        (csv_bytes([&header])?, csv_bytes(&summary.csv_records())?)
    } else {
        let mut text = serde_json::to_string(&summary).map_err(ApiError::internal)?;
        text.pop(); // the closing brace: the lines follow
        text.push_str(",\"subscriptions\":[");
        (Bytes::from(text), Bytes::from_static(b"]}"))
    };

    let state = state.into_inner();
    let pages = stream::unfold(
        Stage::Lines {
            after: String::new(),
            first: true,
        },
        move |stage| {
            let (state, offering_id, settlement_entry, tail) = (
                state.clone(),
                offering_id.clone(),
                settlement_entry.clone(),
                tail.clone(),
            );
            async move {
                match stage {
                    Stage::Lines { after, first } => {
                        let fetched = with_conn(&state, move |conn| {
                            Ok(reconciliation::lines(
                                conn,
                                &offering_id,
                                settlement_entry.as_deref(),
                                &after,
                                PAGE,
                            )?)
                        })
                        .await;
                        let lines: Vec<Line> = match fetched {
                            Ok(lines) => lines,
                            Err(e) => {
                                tracing::error!(error = %e, "reconciliation stream failed");
                                return Some((Err(actix_web::Error::from(e)), Stage::Done));
                            }
                        };
                        let next = match lines.last() {
                            Some(last) if lines.len() as i64 == PAGE => Stage::Lines {
                                after: last.row.subscription_id.clone(),
                                first: false,
                            },
                            _ => Stage::Tail,
                        };
                        Some((encode(&lines, csv, first), next))
                    }
                    Stage::Tail => Some((Ok(tail), Stage::Done)),
                    Stage::Done => None,
                }
            }
        },
    );
    let body = stream::once(async move { Ok::<_, actix_web::Error>(head) });
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/json"
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
    Ok(response.streaming(futures_util::StreamExt::chain(body, pages)))
}

fn encode(lines: &[Line], csv: bool, first: bool) -> Result<Bytes, actix_web::Error> {
    if csv {
        let records: Vec<[String; CSV_COLUMNS]> = lines.iter().map(Line::csv_record).collect();
        return csv_bytes(&records).map_err(actix_web::Error::from);
    }
    let mut out = String::with_capacity(lines.len() * 256);
    for (i, line) in lines.iter().enumerate() {
        if !(first && i == 0) {
            out.push(',');
        }
        out.push_str(
            &serde_json::to_string(line)
                .map_err(|e| actix_web::Error::from(ApiError::internal(e)))?,
        );
    }
    Ok(Bytes::from(out))
}
