//! The command line: `serve` (the default), `migrate`, `verify-ledger`,
//! `seal-head`, `backup`, `restore`, `sweep`, `create-operator`,
//! `mail-preview`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::app::Application;
use crate::config::Config;
use crate::db::{run_migrations, wait_for_database, AnyConnection};
use crate::domain::{DisplayName, Email, Password};
use crate::services::accounts::{self, AccountError};

#[derive(Parser)]
#[command(
    name = "crowdfund",
    version,
    about = "Equity crowdfunding platform backend"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check every ledger invariant; exit status 0 only when all hold.
    VerifyLedger {
        /// A seal hash copied off the database earlier (`seal-head`): fail
        /// unless the chain still contains it.
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
    },
    /// Seal what is committed, then print the newest seal (number, hash,
    /// time) as JSON, to be kept somewhere other than the database.
    SealHead,
    /// Copy the SQLite database, while the server runs, into a new file;
    /// check the copy (integrity, ledger, seals) and print what it holds.
    /// On PostgreSQL: says which of its tools to use instead.
    Backup {
        /// The file to write; it must not exist.
        path: PathBuf,
    },
    /// Put a backup made by `backup` where DATABASE_URL says the SQLite
    /// database is, which must hold no database; check it there first.
    /// Refuses a backup with a non-empty -wal or -journal beside it.
    Restore {
        /// The backup file.
        path: PathBuf,
        /// A seal hash copied off the database earlier (`seal-head`, or the
        /// backup's report): restore nothing unless the backup's seal chain
        /// contains it.
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
    },
    /// Close every offering whose deadline has passed, refund failed and
    /// cancelled ones, once, and exit.
    Sweep,
    /// Create a platform operator. Operators can be made no other way.
    CreateOperator {
        #[arg(long)]
        email: String,
        /// When absent, the password is read from the first line of standard input.
        #[arg(long)]
        password: Option<String>,
        #[arg(long, default_value = "Operator")]
        display_name: String,
    },
    /// Write a sample of each email (or of KIND) as HTML and plain text into
    /// a folder, to look at before shipping; needs no database.
    MailPreview {
        /// One kind (`subscription_confirmed`, ...); all when absent.
        kind: Option<String>,
        /// `en` or `zh-CN`; every locale when absent.
        #[arg(long)]
        locale: Option<String>,
        /// An IANA time zone; DEFAULT_TIME_ZONE when absent.
        #[arg(long)]
        time_zone: Option<String>,
        /// The folder to write into (created if need be).
        #[arg(long, default_value = "mail-preview")]
        out: PathBuf,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::VerifyLedger { expect_head } => {
            return verify_ledger(&config, expect_head.as_deref())
        }
        Command::SealHead => seal_head(&config),
        Command::Backup { path } => {
            report_copy("backup", crate::backup::backup(&config.database_url, &path))
        }
        Command::Restore { path, expect_head } => report_copy(
            "restore",
            crate::backup::restore(&config.database_url, &path, expect_head.as_deref()),
        ),
        Command::Sweep => sweep(&config),
        Command::CreateOperator {
            email,
            password,
            display_name,
        } => create_operator(&config, &email, password, &display_name),
        Command::MailPreview {
            kind,
            locale,
            time_zone,
            out,
        } => mail_preview(
            &config,
            kind.as_deref(),
            locale.as_deref(),
            time_zone.as_deref(),
            &out,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(?config, "starting");
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config)?;
        app.serve_until_signalled().await?;
        Ok(())
    })
}

fn mail_preview(
    config: &Config,
    kind: Option<&str>,
    locale: Option<&str>,
    time_zone: Option<&str>,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::i18n::{Locale, Reader, TimeZone};
    let locales = match locale {
        Some(tag) => vec![Locale::parse(tag)
            .ok_or_else(|| anyhow::anyhow!("--locale must be one of en, zh-CN"))?],
        None => Locale::ALL.to_vec(),
    };
    let time_zone = match time_zone {
        Some(name) => TimeZone::parse(name)
            .ok_or_else(|| anyhow::anyhow!("--time-zone must be an IANA time zone"))?,
        None => config.language.time_zone,
    };
    let samples = crate::mail::samples::in_currency(&config.currency);
    let chosen: Vec<_> = samples
        .iter()
        .filter(|m| kind.is_none_or(|k| k == m.kind()))
        .collect();
    if chosen.is_empty() {
        let kinds: Vec<&str> = samples.iter().map(|m| m.kind()).collect();
        anyhow::bail!("no such kind; the kinds are: {}", kinds.join(", "));
    }
    std::fs::create_dir_all(out)?;
    for message in chosen {
        for &locale in &locales {
            let reader = Reader { locale, time_zone };
            let written = crate::mail::render::render(message, &reader)?;
            let name = format!("{}.{}", message.kind(), locale.tag());
            let text = format!("Subject: {}\n\n{}", written.subject, written.text);
            std::fs::write(out.join(format!("{name}.txt")), text)?;
            std::fs::write(out.join(format!("{name}.html")), written.html)?;
            println!("{}", out.join(format!("{name}.{{html,txt}}")).display());
        }
    }
    Ok(())
}

fn migrate(config: &Config) -> anyhow::Result<()> {
    let mut conn = connect(config)?;
    let applied = run_migrations(&mut conn)?;
    println!("{applied} migration(s) applied");
    let booked = crate::services::bank::book_unbooked_events(&mut conn, &config.currency)?;
    if booked > 0 {
        println!("{booked} bank notification(s) an older release left unbooked are booked");
    }
    Ok(())
}

fn verify_ledger(config: &Config, expect_head: Option<&str>) -> ExitCode {
    use crate::ledger::{invariants, seal};
    let report = connect(config).and_then(|mut conn| {
        run_migrations(&mut conn)?;
        let mut report = invariants::check(&mut conn)?;
        if let Some(hash) = expect_head {
            if !seal::contains(&mut conn, hash)? {
                report.ok = false;
                report.violations.push(invariants::Violation {
                    invariant: "expected_head",
                    subject: "ledger".into(),
                    expected: 0,
                    actual: 0,
                    detail: format!(
                        "the seal chain does not contain the head {hash} recorded earlier: \
                             the chain was rewritten or this is another database"
                    ),
                });
            }
        }
        Ok(report)
    });
    match report {
        Ok(report) => {
            match serde_json::to_string_pretty(&report) {
                Ok(text) => println!("{text}"),
                Err(e) => eprintln!("error: {e}"),
            }
            if report.ok {
                eprintln!("ledger OK: every invariant holds");
                ExitCode::SUCCESS
            } else {
                eprintln!("ledger BROKEN: {} violation(s)", report.violations.len());
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn seal_head(config: &Config) -> anyhow::Result<()> {
    use crate::ledger::seal;
    let mut conn = connect(config)?;
    run_migrations(&mut conn)?;
    seal::seal_pending(&mut conn)?;
    match seal::head(&mut conn)? {
        Some(head) => println!("{}", serde_json::to_string_pretty(&head)?),
        None => anyhow::bail!("the ledger has no seal yet: nothing has been posted"),
    }
    Ok(())
}

/// The report of a checked copy as JSON on stdout, a summary on stderr.
fn report_copy(
    what: &str,
    report: anyhow::Result<crate::backup::CopyReport>,
) -> anyhow::Result<()> {
    let report = report?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    let l = &report.ledger;
    let mut ledger = format!(
        "ledger verified ({} entries, {} sealed)",
        l.entries, l.sealed_entries
    );
    if report.pending_migrations > 0 {
        ledger.push_str(&format!(
            " on a migrated scratch copy: schema {}, {} migration(s) to apply at the next start",
            report.schema, report.pending_migrations
        ));
    }
    let head = match &report.seal_head {
        Some(h) => format!("seal head #{} {}", h.seq, h.hash),
        None => "no seal yet".to_string(),
    };
    eprintln!(
        "{what} written to {} ({} bytes): integrity ok, {ledger}, {head}",
        report.path, report.bytes
    );
    Ok(())
}

fn sweep(config: &Config) -> anyhow::Result<()> {
    let mut conn = connect(config)?;
    run_migrations(&mut conn)?;
    let closed = crate::services::deadlines::close_expired(&mut conn, &config.currency)?;
    for (id, status) in &closed {
        println!("{id} {status}");
    }
    println!("{} offering(s) closed", closed.len());
    let refunded = crate::services::deadlines::refund_closed(&mut conn, &config.currency)?;
    for id in &refunded {
        println!("{id} refunded");
    }
    println!("{} offering(s) refunded", refunded.len());
    let published = crate::services::updates::publish_due(&mut conn, &config.public_base_url)?;
    println!("{published} scheduled update(s) published");
    crate::services::material_changes::remind_due(&mut conn, &config.public_base_url)?;
    let lapsed = crate::services::material_changes::lapse_due(&mut conn, config)?;
    println!("{lapsed} subscription(s) not reconfirmed cancelled");
    Ok(())
}

fn create_operator(
    config: &Config,
    email: &str,
    password: Option<String>,
    display_name: &str,
) -> anyhow::Result<()> {
    let password = match password {
        Some(p) => p,
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let email = Email::parse(email)?;
    let password = Password::parse("password", password)?;
    let display_name = DisplayName::parse(display_name)?;
    let mut conn = connect(config)?;
    run_migrations(&mut conn)?;
    match accounts::create_operator(&mut conn, &email, &password, &display_name) {
        Ok(id) => {
            println!("operator {email} created with id {id}");
            Ok(())
        }
        Err(AccountError::EmailTaken) => anyhow::bail!("an account with {email} already exists"),
        Err(e) => Err(e.into()),
    }
}

/// The command's connection, waited for as the server's is at start-up.
fn connect(config: &Config) -> anyhow::Result<AnyConnection> {
    Ok(wait_for_database(
        &config.database_url,
        config.database_startup_wait,
    )?)
}
