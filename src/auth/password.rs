//! argon2id password hashing with OWASP's minimum parameters
//! (m = 19456 KiB, t = 2, p = 1). Callers run these off the async workers.
//!
//! Each hash works through 19 MiB of memory. Allocated per hash, that memory
//! stays with the allocator of every thread that ever hashed (a burst of
//! sign-ins on 10 threads left the server at 180 MB). Instead there is one
//! working area per core, reused forever: no more hashes run at once than the
//! machine has cores (they could not go faster anyway), and a burst of
//! sign-ups or sign-ins queues here instead of multiplying memory.

use std::sync::{Condvar, Mutex, OnceLock};

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

const M_COST_KIB: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn params() -> Params {
    // The parameters are constants that Params::new accepts.
    #[allow(clippy::expect_used)]
    Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 parameters")
}

/// The working areas, and a queue for them.
struct Areas {
    free: Mutex<Vec<Vec<Block>>>,
    returned: Condvar,
}

fn areas() -> &'static Areas {
    static AREAS: OnceLock<Areas> = OnceLock::new();
    AREAS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Areas {
            // Allocated on first use, then kept.
            free: Mutex::new((0..cores).map(|_| Vec::new()).collect()),
            returned: Condvar::new(),
        }
    })
}

/// Hashes `password` with `salt` under `params` into `out`, in a working
/// area taken from the pool (waiting for one if all are in use).
fn hash_into(params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> anyhow::Result<()> {
    let areas = areas();
    let mut area = {
        let free = areas
            .free
            .lock()
            .map_err(|_| anyhow::anyhow!("the hashing pool is poisoned"))?;
        let mut free = areas
            .returned
            .wait_while(free, |f| f.is_empty())
            .map_err(|_| anyhow::anyhow!("the hashing pool is poisoned"))?;
        free.pop().unwrap_or_default()
    };
    area.resize(params.block_count(), Block::default());
    let result = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt, out, &mut area[..])
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"));
    // An area sized for other parameters (an old hash) is not kept.
    if area.len() == params.block_count() && params.m_cost() == M_COST_KIB {
        if let Ok(mut free) = areas.free.lock() {
            free.push(area);
        }
    } else if let Ok(mut free) = areas.free.lock() {
        free.push(Vec::new());
    }
    areas.returned.notify_one();
    result
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let params = params();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hash_into(&params, password.as_bytes(), salt_bytes, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params)
            .try_into()
            .map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// True when `password` matches `stored`. A stored hash that does not parse,
/// or is not argon2id, matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    if parsed.algorithm != Algorithm::Argon2id.ident()
        || parsed
            .version
            .is_some_and(|v| v != u32::from(Version::V0x13))
    {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if hash_into(&params, password.as_bytes(), salt_bytes, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Spends the same time as checking a real password, for an unknown user, so
/// that the response time does not reveal whether an email is registered.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy =
        DUMMY.get_or_init(|| hash_password("a dummy password that no one has").unwrap_or_default());
    let _ = verify_password(password, dummy);
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn hashes_verify_and_use_argon2id_with_owasp_parameters() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterz", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn hashes_are_standard_phc_strings_both_ways() {
        // Ours verify with the argon2 crate's own verifier...
        let ours = hash_password("s3cret passphrase").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"s3cret passphrase", &parsed)
            .is_ok());
        // ...and one it made (other parameters) verifies with ours.
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).unwrap(),
        )
        .hash_password(b"another one", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password("another one", &theirs));
        assert!(!verify_password("another two", &theirs));
    }
}
