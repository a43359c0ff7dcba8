//! The text of every email the platform sends.

use super::Email;

pub fn verify_email(to: &str, link: &str, valid_hours: i64) -> Email {
    Email {
        to: to.to_string(),
        subject: "Confirm your email address".to_string(),
        body: format!(
            "Welcome to crowdfund.\n\n\
             Confirm your email address by opening this link:\n\n\
             {link}\n\n\
             The link works once and expires in {valid_hours} hours. If you did not\n\
             sign up, ignore this message.\n"
        ),
    }
}

pub fn password_reset(to: &str, link: &str, valid_minutes: i64) -> Email {
    Email {
        to: to.to_string(),
        subject: "Reset your password".to_string(),
        body: format!(
            "Someone asked to reset the password of your crowdfund account.\n\n\
             To choose a new password, open this link:\n\n\
             {link}\n\n\
             The link works once and expires in {valid_minutes} minutes. If it was not\n\
             you, ignore this message: your password stays as it is.\n"
        ),
    }
}

pub fn password_changed(to: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: "Your password was changed".to_string(),
        body: "The password of your crowdfund account has just been changed, and every\n\
               other session of the account was signed out.\n\n\
               If it was you, there is nothing to do. If it was not, choose a new password\n\
               at once with \"Forgot password\" (that signs out every session, the\n\
               intruder's too) and contact support.\n"
            .to_string(),
    }
}

pub fn failed_sign_ins(to: &str, failures: i32, client_ip: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: "Failed sign-ins to your account".to_string(),
        body: format!(
            "Someone has just failed to sign in to your crowdfund account {failures} times\n\
             in a row, most recently from the address {client_ip}.\n\n\
             If it was you, there is nothing to do. If it was not, your account is\n\
             safe as long as your password is: sign-ins from an address that keeps\n\
             failing are paused for longer each time, and you can still sign in from\n\
             where you usually do. To be sure, choose a new password with \"Forgot\n\
             password\": that also signs out every session.\n"
        ),
    }
}

/// Formats minor units as a decimal figure with the currency, e.g. `1,250.00 USD`.
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02} {currency}", abs % 100)
}

/// What an investor is owed on confirmation of a subscription.
pub struct Confirmation<'a> {
    pub to: &'a str,
    pub subscription_id: &'a str,
    pub date: chrono::DateTime<chrono::Utc>,
    pub offering_title: &'a str,
    pub security_type: &'a str,
    pub price_per_share: i64,
    pub shares: i64,
    pub amount: i64,
    pub currency: &'a str,
}

pub fn subscription_confirmed(c: &Confirmation<'_>) -> Email {
    Email {
        to: c.to.to_string(),
        subject: format!("Subscription confirmed: {}", c.offering_title),
        body: format!(
            "Your subscription is confirmed.\n\n\
             Date:            {}\n\
             Offering:        {}\n\
             Security:        {}\n\
             Price per share: {}\n\
             Shares:          {}\n\
             Amount:          {}\n\
             Reference:       {}\n\n\
             The amount is held in escrow until the offering closes. You can cancel\n\
             until 48 hours before the deadline, while the offering is open.\n",
            c.date.format("%Y-%m-%d %H:%M:%S UTC"),
            c.offering_title,
            c.security_type,
            money(c.price_per_share, c.currency),
            c.shares,
            money(c.amount, c.currency),
            c.subscription_id,
        ),
    }
}

pub fn subscription_cancelled(
    to: &str,
    offering_title: &str,
    shares: i64,
    amount: i64,
    currency: &str,
) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("Subscription cancelled: {offering_title}"),
        body: format!(
            "Your subscription for {shares} shares of {offering_title} is cancelled.\n\
             {} is back in your account.\n",
            money(amount, currency)
        ),
    }
}

/// Not reconfirmed after a material change: cancelled and refunded.
pub fn subscription_lapsed(
    to: &str,
    offering_title: &str,
    shares: i64,
    amount: i64,
    currency: &str,
) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("Subscription cancelled, not reconfirmed: {offering_title}"),
        body: format!(
            "The terms of {offering_title} changed materially and your subscription for\n\
             {shares} shares was not reconfirmed by its deadline, so it is cancelled.\n\
             {} is back in your account.\n",
            money(amount, currency)
        ),
    }
}

/// A material change, to each investor whose subscription awaits their
/// reconfirmation: the notice, and (`reminder`) the reminder.
pub struct MaterialNotice<'a> {
    pub offering_title: &'a str,
    pub document_kind: &'a str,
    pub file_name: &'a str,
    pub version: i32,
    pub reason: &'a str,
    /// The deadline, written out (UTC).
    pub deadline: &'a str,
    pub documents_url: &'a str,
    pub reminder: bool,
}

pub fn material_change(n: &MaterialNotice<'_>) -> Email {
    let subject = if n.reminder {
        format!(
            "Reminder: reconfirm your investment in {} by {}",
            n.offering_title, n.deadline
        )
    } else {
        format!("Reconfirm your investment in {}", n.offering_title)
    };
    Email {
        to: String::new(),
        subject,
        body: format!(
            "The terms of {title} have changed materially: its {kind} was amended\n\
             ({file}, version {version}).\n\n\
             What changed: {reason}\n\n\
             Read the amended documents at\n\n\
             {url}\n\n\
             Your subscription stands only if you reconfirm it by {deadline}\n\
             (POST /api/v1/subscriptions/{{id}}/reconfirm, or in the app). If you do\n\
             not, it is cancelled at that time and your money returned to your\n\
             account. You may also cancel it yourself until then.\n",
            title = n.offering_title,
            kind = n.document_kind,
            file = n.file_name,
            version = n.version,
            reason = n.reason,
            url = n.documents_url,
            deadline = n.deadline,
        ),
    }
}

pub fn offering_closed_investor(to: &str, offering_title: &str, status: &str) -> Email {
    let (subject, text) = match status {
        "funded" => (
            format!("Offering funded: {offering_title}"),
            format!("{offering_title} reached its goal. Your subscription stands and will be settled.\n"),
        ),
        "failed" => (
            format!("Offering failed: {offering_title}"),
            format!("{offering_title} did not reach its minimum. Your money will be refunded to your account.\n"),
        ),
        _ => (
            format!("Offering cancelled: {offering_title}"),
            format!("{offering_title} was cancelled. Your money will be refunded to your account.\n"),
        ),
    };
    Email {
        to: to.to_string(),
        subject,
        body: text,
    }
}

pub fn offering_closed_sponsor(
    to: &str,
    offering_title: &str,
    status: &str,
    raised: i64,
    currency: &str,
) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("Your offering is {status}: {offering_title}"),
        body: format!(
            "{offering_title} is now {status}. Raised: {}.\n",
            money(raised, currency)
        ),
    }
}

/// A payout the bank rejected or sent back: the money is available again.
pub fn withdrawal_returned(to: &str, reference: &str, amount: i64, currency: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("Your withdrawal {reference} came back"),
        body: format!(
            "The bank did not complete your withdrawal {reference} of {}.\n\n\
             The money is back in your available balance. Check the bank details\n\
             you gave us and ask for the withdrawal again, or contact support.\n",
            money(amount, currency)
        ),
    }
}

/// A credited deposit the bank took back.
pub fn deposit_returned(
    to: &str,
    reference: &str,
    amount: i64,
    owed: i64,
    currency: &str,
) -> Email {
    let settled = if owed > 0 {
        format!(
            "Your available balance covered {} of it, so you now owe {}.\n\
             Until that is paid, withdrawals and new subscriptions are refused;\n\
             your next deposits pay it off first.\n",
            money(amount - owed, currency),
            money(owed, currency)
        )
    } else {
        "It has been taken off your available balance.\n".to_string()
    };
    Email {
        to: to.to_string(),
        subject: format!("Your deposit {reference} was returned"),
        body: format!(
            "Your bank took back the transfer of {} for deposit {reference}.\n\n\
             {settled}If this is unexpected, contact your bank.\n",
            money(amount, currency)
        ),
    }
}

pub fn unallocated_credited(to: &str, reference: &str, amount: i64, currency: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: "A transfer has been credited to your account".to_string(),
        body: format!(
            "A bank transfer of {} (reference \"{reference}\") did not match a deposit\n\
             you announced. Our team identified it as yours and credited it to your\n\
             available balance.\n",
            money(amount, currency)
        ),
    }
}

/// A document of a round the investor is in has a new version.
pub struct Amendment<'a> {
    pub to: &'a str,
    pub offering_title: &'a str,
    /// How the kind reads in a sentence ("offering memorandum").
    pub document_kind: &'a str,
    pub file_name: &'a str,
    pub version: i32,
    pub documents_url: &'a str,
}

pub fn document_amended(a: &Amendment<'_>) -> Email {
    Email {
        to: a.to.to_string(),
        subject: format!("Document amended: {}", a.offering_title),
        body: format!(
            "The sponsor of {title} has published a new version of its {kind}:\n\n\
             {file} (version {version})\n\n\
             Read it before the round closes: the documents of the offering are at\n\n\
             {url}\n\n\
             Your subscription stands as it is; the versions in force when you\n\
             subscribed are listed with it in your portfolio.\n",
            title = a.offering_title,
            kind = a.document_kind,
            file = a.file_name,
            version = a.version,
            url = a.documents_url,
        ),
    }
}

/// A sponsor's update, to the offering's investors.
pub struct UpdateNotice<'a> {
    pub offering_title: &'a str,
    pub title: &'a str,
    /// As the sponsor wrote it (plain text or Markdown, readable as text).
    pub body: &'a str,
    pub url: &'a str,
}

pub fn offering_update(u: &UpdateNotice<'_>) -> Email {
    Email {
        to: String::new(),
        subject: format!("{}: {}", u.offering_title, u.title),
        body: format!(
            "The sponsor of {offering} has posted an update.\n\n\
             {title}\n\n\
             {body}\n\n\
             Read it online: {url}\n\n\
             You receive this because you invested in {offering}.\n",
            offering = u.offering_title,
            title = u.title,
            body = u.body,
            url = u.url,
        ),
    }
}

/// A question on the sponsor's offering, to the sponsor.
pub fn new_question(to: &str, offering_title: &str, question: &str, url: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("New question on {offering_title}"),
        body: format!(
            "Someone has asked a question about {offering_title}:\n\n\
             {question}\n\n\
             Everyone can read it, and your answer, at {url}\n\n\
             Answer in public: a reply from your account is marked as the sponsor's.\n"
        ),
    }
}

/// The sponsor's answer, to whoever asked.
pub fn question_answered(to: &str, offering_title: &str, answer: &str, url: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("The sponsor of {offering_title} answered your question"),
        body: format!(
            "The sponsor of {offering_title} has answered your question:\n\n\
             {answer}\n\n\
             The whole thread is at {url}\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_is_grouped_with_two_decimals() {
        assert_eq!(money(0, "USD"), "0.00 USD");
        assert_eq!(money(5, "USD"), "0.05 USD");
        assert_eq!(money(123_456_789, "EUR"), "1,234,567.89 EUR");
        assert_eq!(money(-100_000, "USD"), "-1,000.00 USD");
    }
}
