//! The route table: every route the server has, in one place.
//!
//! The same list registers the handlers and answers [`route_table`], which the
//! OpenAPI test compares with `openapi.yaml`, so the two cannot drift apart.

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Resource, Responder};

use super::{
    appropriateness, audit, auth, documents, health, leads, ledger, material_changes, me,
    offerings, openapi, profiles, questions, reconciliation, rules, settlement, statements,
    streams, subscriptions, unallocated, unreconciled, updates, users, wallet, webhooks,
};

/// Something routes can be declared to: the real service config, or a list.
pub trait RouteSink {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static;
}

fn declare<S: RouteSink>(s: &mut S) {
    s.add(Method::GET, "/healthz", health::healthz);
    s.add(Method::GET, "/readyz", health::readyz);
    s.add(Method::GET, "/openapi.yaml", openapi::spec);

    s.add(Method::POST, "/api/v1/auth/register", auth::register);
    s.add(
        Method::POST,
        "/api/v1/auth/verify-email",
        auth::verify_email,
    );
    s.add(
        Method::POST,
        "/api/v1/auth/verify-email/resend",
        auth::resend_verification,
    );
    s.add(Method::POST, "/api/v1/auth/login", auth::login);
    s.add(Method::POST, "/api/v1/auth/refresh", auth::refresh);
    s.add(Method::POST, "/api/v1/auth/logout", auth::logout);
    s.add(
        Method::POST,
        "/api/v1/auth/password-reset/request",
        auth::password_reset_request,
    );
    s.add(
        Method::POST,
        "/api/v1/auth/password-reset/confirm",
        auth::password_reset_confirm,
    );

    s.add(Method::GET, "/api/v1/me", me::get_me);
    s.add(Method::PATCH, "/api/v1/me", me::choose_language);
    s.add(Method::POST, "/api/v1/me/password", me::change_password);
    s.add(
        Method::GET,
        "/api/v1/me/investor-profile",
        profiles::get_profile,
    );
    s.add(
        Method::PUT,
        "/api/v1/me/investor-profile",
        profiles::put_profile,
    );
    s.add(
        Method::GET,
        "/api/v1/me/knowledge-test",
        appropriateness::get_knowledge_test,
    );
    s.add(
        Method::POST,
        "/api/v1/me/knowledge-test",
        appropriateness::take_knowledge_test,
    );
    s.add(
        Method::GET,
        "/api/v1/me/loss-simulation",
        appropriateness::get_loss_simulation,
    );
    s.add(
        Method::POST,
        "/api/v1/me/loss-simulation",
        appropriateness::acknowledge_loss_simulation,
    );
    s.add(Method::GET, "/api/v1/me/account", wallet::account);
    s.add(
        Method::GET,
        "/api/v1/me/account/transactions",
        wallet::transactions,
    );
    s.add(Method::POST, "/api/v1/me/deposits", wallet::deposit);
    s.add(Method::GET, "/api/v1/me/deposits", wallet::deposits);
    s.add(Method::POST, "/api/v1/me/withdrawals", wallet::withdraw);
    s.add(Method::GET, "/api/v1/me/withdrawals", wallet::withdrawals);
    s.add(Method::GET, "/api/v1/me/offerings", offerings::list_mine);
    s.add(
        Method::GET,
        "/api/v1/me/subscriptions",
        subscriptions::list_mine,
    );
    s.add(Method::GET, "/api/v1/me/holdings", settlement::my_holdings);

    s.add(Method::GET, "/api/v1/rules", rules::rules);
    s.add(Method::GET, "/api/v1/offerings", offerings::list);
    s.add(Method::POST, "/api/v1/offerings", offerings::create);
    // Before `/offerings/{id}`, which would take `events` for an id.
    s.add(Method::GET, "/api/v1/offerings/events", streams::catalogue);
    s.add(Method::GET, "/api/v1/offerings/{id}", offerings::get_one);
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/events",
        streams::offering,
    );
    s.add(Method::PATCH, "/api/v1/offerings/{id}", offerings::patch);
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/documents",
        documents::list,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/documents",
        documents::create,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/documents/{document_id}",
        documents::get_one,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/documents/{document_id}/versions",
        documents::create_version,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/documents/{document_id}/links",
        documents::create_link,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/documents/{document_id}/versions/{version}/content",
        documents::content,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/documents/{document_id}/versions/{version}/material",
        material_changes::declare,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/material-changes",
        material_changes::list,
    );
    s.add(Method::GET, "/api/v1/offerings/{id}/leads", leads::history);
    s.add(Method::GET, "/api/v1/offerings/{id}/updates", updates::list);
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/updates",
        updates::create,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/updates/{update_id}",
        updates::get_one,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/questions",
        questions::list,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/questions",
        questions::ask,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/questions/{question_id}/replies",
        questions::reply,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/submit",
        offerings::submit,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/cancel",
        offerings::cancel,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/subscriptions",
        offerings::subscribers,
    );
    s.add(
        Method::POST,
        "/api/v1/offerings/{id}/subscriptions",
        subscriptions::subscribe,
    );
    s.add(
        Method::POST,
        "/api/v1/subscriptions/{id}/cancel",
        subscriptions::cancel,
    );
    s.add(
        Method::POST,
        "/api/v1/subscriptions/{id}/reconfirm",
        material_changes::reconfirm,
    );

    s.add(Method::POST, "/api/v1/webhooks/bank", webhooks::bank);

    s.add(Method::GET, "/api/v1/operator/kyc", profiles::list_kyc);
    s.add(
        Method::GET,
        "/api/v1/operator/offerings",
        offerings::list_for_operator,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/investors/{id}/kyc",
        profiles::decide_kyc,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/offerings/{id}/approve",
        offerings::approve,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/offerings/{id}/reject",
        offerings::reject,
    );
    s.add(
        Method::PUT,
        "/api/v1/operator/offerings/{id}/lead",
        leads::appoint,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/offerings/{id}/posts/{post_id}/hide",
        questions::hide,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/offerings/{id}/posts/{post_id}/restore",
        questions::restore,
    );
    s.add(
        Method::GET,
        "/api/v1/operator/ledger/trial-balance",
        ledger::trial_balance,
    );
    s.add(
        Method::GET,
        "/api/v1/operator/ledger/seal-head",
        ledger::seal_head,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/offerings/{id}/settle",
        settlement::settle,
    );
    s.add(
        Method::GET,
        "/api/v1/operator/offerings/{id}/settlement-quote",
        settlement::quote,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/offerings/{id}/refund",
        settlement::refund,
    );
    s.add(
        Method::GET,
        "/api/v1/offerings/{id}/cap-table",
        settlement::cap_table,
    );
    s.add(Method::GET, "/api/v1/operator/audit-log", audit::list);
    s.add(
        Method::GET,
        "/api/v1/operator/offerings/{id}/reconciliation",
        reconciliation::report,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/bank-statements",
        statements::upload,
    );
    s.add(
        Method::GET,
        "/api/v1/operator/unallocated-deposits",
        unallocated::list,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/unallocated-deposits/{id}/credit",
        unallocated::credit,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/unallocated-deposits/{id}/return",
        unallocated::mark_returned,
    );
    s.add(Method::GET, "/api/v1/operator/users", users::find);
    s.add(Method::GET, "/api/v1/operator/users/{id}", users::get_one);
    s.add(
        Method::GET,
        "/api/v1/operator/unreconciled-movements",
        unreconciled::list,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/unreconciled-movements/{id}/assign",
        unreconciled::assign,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/unreconciled-movements/{id}/write-off",
        unreconciled::write_off,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/users/{id}/sign-out",
        users::sign_out,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/users/{id}/disable",
        users::disable,
    );
    s.add(
        Method::POST,
        "/api/v1/operator/users/{id}/enable",
        users::enable,
    );
}

/// Registers every route, one resource per path.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut resources = Resources(Vec::new());
    declare(&mut resources);
    for (path, resource) in resources.0 {
        use super::problems::{json_config_with_limit, OFFERING_JSON_LIMIT};
        let resource = match path {
            // Offerings carry long free text: room for every field at its
            // longest (see `problems::OFFERING_JSON_LIMIT`).
            "/api/v1/offerings" | "/api/v1/offerings/{id}" | "/api/v1/offerings/{id}/updates" => {
                resource.app_data(json_config_with_limit(OFFERING_JSON_LIMIT))
            }
            _ => resource,
        };
        cfg.service(resource);
    }
}

/// `(METHOD, path)` of every route, in declaration order.
pub fn route_table() -> Vec<(String, String)> {
    let mut list = Vec::new();
    declare(&mut list);
    list
}

struct Resources(Vec<(&'static str, Resource)>);

impl RouteSink for Resources {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::method(method).to(handler);
        match self.0.iter().position(|(p, _)| *p == path) {
            Some(i) => {
                let (p, resource) = self.0.remove(i);
                self.0.insert(i, (p, resource.route(route)));
            }
            None => self.0.push((path, web::resource(path).route(route))),
        }
    }
}

impl RouteSink for Vec<(String, String)> {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, _handler: F)
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.push((method.to_string(), path.to_string()));
    }
}
