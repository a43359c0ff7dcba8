//! How each subscription request ended: accepted, replayed, or the code of
//! the problem it was refused with.

pub const SUBSCRIPTIONS: &str = "crowdfund_subscriptions_total";

pub(super) fn describe() {
    ::metrics::describe_counter!(
        SUBSCRIPTIONS,
        "Subscription requests by outcome: \"accepted\", \"replayed\" (a retry answered with \
         its first answer), or the problem code it was refused with."
    );
}

/// Counts one subscription request's outcome (a fixed code, never user text).
pub fn outcome(outcome: &'static str) {
    ::metrics::counter!(SUBSCRIPTIONS, "outcome" => outcome).increment(1);
}
