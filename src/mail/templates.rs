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
