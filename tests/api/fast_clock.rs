//! A server process whose clock runs ahead of the machine's (and so of the
//! database's): a small shared library, built here with the C compiler the
//! build already needs, that the process preloads, which adds
//! `CLOCK_SHIFT_SECS` to every reading of the wall clock (`CLOCK_REALTIME`).
//! The monotonic clock, timeouts and the database are untouched: only what
//! the server believes the time of day to be.

use std::path::PathBuf;

const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);

int clock_gettime(clockid_t clock, struct timespec *ts) {
    if (!real_clock_gettime) {
        real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    }
    int result = real_clock_gettime(clock, ts);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
        const char *shift = getenv("CLOCK_SHIFT_SECS");
        if (shift) {
            ts->tv_sec += atol(shift);
        }
    }
    return result;
}
"#;

/// The preload library, built into `dir`; None (with the reason printed)
/// where no C compiler answers.
pub fn shim(dir: &std::path::Path) -> Option<PathBuf> {
    let source = dir.join("clock_shift.c");
    let library = dir.join("libclock_shift.so");
    std::fs::write(&source, SHIM).expect("write the shim");
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .output();
    match built {
        Ok(out) if out.status.success() => Some(library),
        Ok(out) => panic!(
            "the clock shim does not build: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            assert!(std::env::var("CI").is_err(), "CI is set but no cc: {e}");
            eprintln!("skipped: no C compiler to build the clock shim ({e})");
            None
        }
    }
}
