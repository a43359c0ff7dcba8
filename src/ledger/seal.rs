//! Tamper evidence: committed journal entries are sealed, in batches, into a
//! hash chain. Each sealed entry keeps the SHA-256 of its canonical content
//! (its fields and postings); seal n's hash covers those entry hashes and seal
//! n-1's hash. Editing or deleting a sealed entry or posting changes its entry
//! hash (and names it); rewriting the stored entry hash, or a seal, breaks the
//! chain from that seal on.
//!
//! Since format 2, a posting's hash covers its account's identity (kind,
//! owner, currency) too, so re-pointing an account to another owner breaks
//! the seal of every entry that posted to it. Seals keep the format they were
//! written in, and verify by it.
//!
//! Sealing runs off the request path (a background job in every instance, and
//! `verify-ledger`), so it never serializes subscriptions. Sealers of several
//! instances take turns: on PostgreSQL under a transaction-scoped advisory
//! lock, on SQLite under the write lock.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use diesel::sql_types::{BigInt, Text};

use crate::db::schema::{
    entry_seals, journal_entries, ledger_accounts, ledger_seals, postings, unsealed_entries,
};
use crate::db::{now, write_transaction, AnyConnection};

use super::invariants::Violation;

/// The hash before the first seal.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Entries per seal.
const BATCH: i64 = 1_000;
/// The format new seals are written in (see the module's documentation).
const FORMAT: i32 = 2;
const SEALER_LOCK_KEY: i64 = 0x63_66_73_65_61_6c; // "cfseal"

struct Canonical(Sha256);

impl Canonical {
    fn new() -> Self {
        Self(Sha256::new())
    }

    /// Length-prefixed, so that no two different inputs hash alike.
    fn field(&mut self, s: &str) {
        self.0.update((s.len() as u64).to_be_bytes());
        self.0.update(s.as_bytes());
    }

    fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

type EntryRow = (String, String, String, String, NaiveDateTime);

type Leg = (String, String, String, i64, String, String, String);

/// The content hash of each entry in `ids` that still exists, in `format`.
fn entry_hashes(
    conn: &mut AnyConnection,
    ids: &[String],
    format: i32,
) -> QueryResult<HashMap<String, String>> {
    let entries: Vec<EntryRow> = journal_entries::table
        .filter(journal_entries::id.eq_any(ids))
        .select((
            journal_entries::id,
            journal_entries::kind,
            journal_entries::reference_id,
            journal_entries::description,
            journal_entries::created_at,
        ))
        .load(conn)?;
    // An inner join: a posting whose account is gone changes the hash too.
    let mut legs: Vec<Leg> = postings::table
        .inner_join(ledger_accounts::table)
        .filter(postings::entry_id.eq_any(ids))
        .select((
            postings::entry_id,
            postings::id,
            postings::account_id,
            postings::amount,
            ledger_accounts::kind,
            ledger_accounts::owner_id,
            ledger_accounts::currency,
        ))
        .load(conn)?;
    legs.sort();
    let mut by_entry: HashMap<&str, Vec<&Leg>> = HashMap::new();
    for leg in &legs {
        by_entry.entry(leg.0.as_str()).or_default().push(leg);
    }
    Ok(entries
        .iter()
        .map(|(id, kind, reference, description, created_at)| {
            let mut h = Canonical::new();
            h.field(id);
            h.field(kind);
            h.field(reference);
            h.field(description);
            h.field(&created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string());
            for (_, posting_id, account, amount, kind, owner, currency) in
                by_entry.get(id.as_str()).into_iter().flatten()
            {
                h.field(posting_id);
                h.field(account);
                h.field(&amount.to_string());
                if format >= 2 {
                    h.field(kind);
                    h.field(owner);
                    h.field(currency);
                }
            }
            (id.clone(), h.finish())
        })
        .collect())
}

/// A seal's hash: the previous hash and its entries' (id, hash), in id order.
fn seal_hash(prev_hash: &str, entries: &[(String, String)]) -> String {
    let mut h = Canonical::new();
    h.field(prev_hash);
    h.field(&entries.len().to_string());
    for (id, hash) in entries {
        h.field(id);
        h.field(hash);
    }
    h.finish()
}

/// Seals what is committed and not sealed yet; returns how many entries.
pub fn seal_pending(conn: &mut AnyConnection) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let sealed = write_transaction(conn, seal_batch)?;
        total += sealed;
        if sealed < BATCH as usize {
            return Ok(total);
        }
    }
}

fn seal_batch(conn: &mut AnyConnection) -> QueryResult<usize> {
    if let AnyConnection::Postgresql(c) = conn {
        c.batch_execute(&format!("SELECT pg_advisory_xact_lock({SEALER_LOCK_KEY})"))?;
    }
    // The queue, not the journal: the cost of a run depends on what is
    // pending, not on how long the history is.
    let ids: Vec<String> = unsealed_entries::table
        .order(unsealed_entries::entry_id.asc())
        .limit(BATCH)
        .select(unsealed_entries::entry_id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let last: Option<(i64, String)> = ledger_seals::table
        .order(ledger_seals::seq.desc())
        .select((ledger_seals::seq, ledger_seals::hash))
        .first(conn)
        .optional()?;
    let (seq, prev_hash) = last.map_or((1, GENESIS.to_string()), |(seq, hash)| (seq + 1, hash));
    let hashes = entry_hashes(conn, &ids, FORMAT)?;
    let mut entries: Vec<(String, String)> = hashes.into_iter().collect();
    entries.sort();
    if entries.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(ledger_seals::table)
        .values((
            ledger_seals::seq.eq(seq),
            ledger_seals::prev_hash.eq(&prev_hash),
            ledger_seals::hash.eq(seal_hash(&prev_hash, &entries)),
            ledger_seals::entry_count.eq(entries.len() as i32),
            ledger_seals::sealed_at.eq(now()),
            ledger_seals::format.eq(FORMAT),
        ))
        .execute(conn)?;
    let mut insert = crate::db::raw::boxed(
        conn,
        format!(
            "INSERT INTO entry_seals (entry_id, seal_seq, entry_hash) VALUES {}",
            crate::db::raw::value_rows(entries.len(), 3, 1)
        ),
    );
    for (id, hash) in &entries {
        insert = insert
            .bind::<Text, _>(id.clone())
            .bind::<BigInt, _>(seq)
            .bind::<Text, _>(hash.clone());
    }
    insert.execute(conn)?;
    diesel::delete(unsealed_entries::table.filter(unsealed_entries::entry_id.eq_any(&ids)))
        .execute(conn)?;
    Ok(entries.len())
}

/// Recomputes the chain; reports the first entry (or seal) that does not match.
pub fn verify_chain(conn: &mut AnyConnection) -> QueryResult<Option<Violation>> {
    let seals: Vec<(i64, String, String, i32, i32)> = ledger_seals::table
        .order(ledger_seals::seq.asc())
        .select((
            ledger_seals::seq,
            ledger_seals::prev_hash,
            ledger_seals::hash,
            ledger_seals::entry_count,
            ledger_seals::format,
        ))
        .load(conn)?;
    let mut expected_prev = GENESIS.to_string();
    for (i, (seq, prev_hash, hash, count, format)) in seals.into_iter().enumerate() {
        let violation = |subject: String, detail: String| {
            Some(Violation {
                invariant: "seal_chain",
                subject,
                expected: 0,
                actual: 0,
                detail,
            })
        };
        if seq != i as i64 + 1 || prev_hash != expected_prev {
            return Ok(violation(
                format!("seal:{seq}"),
                format!("seal {seq} does not continue the chain (a seal was removed or rewritten)"),
            ));
        }
        let mut sealed: Vec<(String, String)> = entry_seals::table
            .filter(entry_seals::seal_seq.eq(seq))
            .select((entry_seals::entry_id, entry_seals::entry_hash))
            .load(conn)?;
        sealed.sort();
        let ids: Vec<String> = sealed.iter().map(|(id, _)| id.clone()).collect();
        let actual = entry_hashes(conn, &ids, format)?;
        for (id, stored) in &sealed {
            match actual.get(id) {
                None => {
                    return Ok(violation(
                        format!("entry:{id}"),
                        format!("entry {id}, sealed in seal {seq}, was deleted"),
                    ))
                }
                Some(h) if h != stored => {
                    return Ok(violation(
                        format!("entry:{id}"),
                        format!("entry {id} or one of its postings changed after it was sealed in seal {seq}"),
                    ))
                }
                Some(_) => {}
            }
        }
        if sealed.len() != count as usize || seal_hash(&prev_hash, &sealed) != hash {
            return Ok(violation(
                format!("seal:{seq}"),
                format!("the entries recorded for seal {seq} do not match its hash"),
            ));
        }
        expected_prev = hash;
    }
    Ok(None)
}

/// The newest seal: what to copy off the database, so that a rewrite of the
/// whole chain (which only someone with write access to the database could
/// do) is caught by `verify-ledger --expect-head`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SealHead {
    pub seq: i64,
    pub hash: String,
    pub sealed_at: chrono::DateTime<chrono::Utc>,
    /// Entries covered by the chain up to and including this seal.
    pub entries_sealed: i64,
    pub format: i32,
}

pub fn head(conn: &mut AnyConnection) -> QueryResult<Option<SealHead>> {
    let last: Option<(i64, String, NaiveDateTime, i32)> = ledger_seals::table
        .order(ledger_seals::seq.desc())
        .select((
            ledger_seals::seq,
            ledger_seals::hash,
            ledger_seals::sealed_at,
            ledger_seals::format,
        ))
        .first(conn)
        .optional()?;
    let Some((seq, hash, sealed_at, format)) = last else {
        return Ok(None);
    };
    let entries_sealed: i64 = entry_seals::table.count().get_result(conn)?;
    Ok(Some(SealHead {
        seq,
        hash,
        sealed_at: sealed_at.and_utc(),
        entries_sealed,
        format,
    }))
}

/// Whether the chain holds a seal with this hash. Together with a chain that
/// verifies, this proves that everything up to that head is unchanged.
pub fn contains(conn: &mut AnyConnection, hash: &str) -> QueryResult<bool> {
    let found: i64 = ledger_seals::table
        .filter(ledger_seals::hash.eq(hash.trim().to_ascii_lowercase()))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
