//! A deadline for reading a request's body.
//!
//! actix-web bounds how long a client may take to send the request head
//! (`client_request_timeout`) but nothing bounds the body: a client that
//! sends its headers and then one byte every few seconds held its connection
//! for as long as it liked, and enough of them used up the process's file
//! descriptors. Here a request that has a body gets `REQUEST_BODY_TIMEOUT_MS`
//! from the moment its head was read to deliver all of it; past that,
//! reading fails and the answer is 408 `body_timeout`.
//!
//! A body nobody read to its end (the deadline passed, the handler needed
//! none, or refused it early) is kept until the answer is sent: actix then
//! closes the connection after the answer instead of reading on, and
//! discarding, whatever the client still trickles in.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::ResponseError;
use futures_util::Stream;

use crate::error::ApiError;
use crate::i18n::Text;

use super::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Open,
    /// Read to its end (or ended by the connection).
    Done,
    TimedOut,
}

struct Body {
    payload: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    reading: Reading,
    within: Duration,
}

/// The body as handlers read it: the client's, cut off at the deadline.
struct Bounded(Rc<RefCell<Body>>);

impl Stream for Bounded {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut guard = self.0.borrow_mut();
        let body = &mut *guard;
        match body.reading {
            Reading::Done => return Poll::Ready(None),
            Reading::TimedOut => return Poll::Ready(Some(Err(timed_out(body.within)))),
            Reading::Open => {}
        }
        // The deadline first: a trickle always has a byte ready.
        if body.deadline.as_mut().poll(cx).is_ready() {
            body.reading = Reading::TimedOut;
            return Poll::Ready(Some(Err(timed_out(body.within))));
        }
        let next = Pin::new(&mut body.payload).poll_next(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            body.reading = Reading::Done;
        }
        next
    }
}

fn timed_out(within: Duration) -> PayloadError {
    PayloadError::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("the body did not arrive within {} ms", within.as_millis()),
    ))
}

/// Whether the request says a body follows.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if headers.contains_key(TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get(CONTENT_LENGTH)
        .is_some_and(|v| v.to_str().map_or(true, |v| v.trim() != "0"))
}

/// The middleware (see the module's description).
pub async fn limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, Held>>, actix_web::Error> {
    let within = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.http.body_timeout);
    let Some(within) = within.filter(|_| has_body(&req)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let body = Rc::new(RefCell::new(Body {
        payload: req.parts_mut().1.take(),
        deadline: Box::pin(tokio::time::sleep(within)),
        reading: Reading::Open,
        within,
    }));
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(Bounded(body.clone()));
    req.set_payload(Payload::from(stream));
    let res = match next.call(req).await {
        Ok(res) => res,
        // An inner middleware refused the request: its answer, once made,
        // carries the body too.
        Err(e) => {
            let reading = body.borrow().reading;
            let unread = (reading != Reading::Done).then_some(body);
            return Err(Refused { error: e, unread }.into());
        }
    };
    let reading = body.borrow().reading;
    let res = if reading == Reading::TimedOut {
        let problem = ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            Text::new("problem-body_timeout").number("ms", within.as_millis() as i64),
        );
        let (request, _) = res.into_parts();
        ServiceResponse::new(request, problem.error_response())
    } else {
        res.map_into_boxed_body()
    };
    let unread = (reading != Reading::Done).then_some(body);
    Ok(res
        .map_body(|_, body| Held {
            body,
            _unread: unread,
        })
        .map_into_right_body())
}

/// An inner middleware's refusal, with the unread body.
struct Refused {
    error: actix_web::Error,
    unread: Option<Rc<RefCell<Body>>>,
}

impl std::fmt::Debug for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.error, f)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Refused {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> actix_web::HttpResponse<BoxBody> {
        let unread = self.unread.clone();
        self.error.error_response().map_body(|_, body| {
            BoxBody::new(Held {
                body,
                _unread: unread,
            })
        })
    }
}

/// An answer that keeps the unread request body alive until it is sent.
pub struct Held {
    body: BoxBody,
    _unread: Option<Rc<RefCell<Body>>>,
}

impl MessageBody for Held {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
