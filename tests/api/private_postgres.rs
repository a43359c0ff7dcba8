//! A PostgreSQL cluster of one test's own: `initdb` into a temporary folder,
//! started on a free port, so that a test can terminate its connections,
//! stop and restart it without disturbing any other test. As root, the
//! cluster runs as the `postgres` user (PostgreSQL refuses to run as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct PrivateCluster {
    pub port: u16,
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    /// The server's own environment, beyond what it inherits.
    env: Vec<(String, String)>,
    /// `-c name=value` settings of the server, beyond the defaults.
    settings: Vec<String>,
}

impl PrivateCluster {
    /// A new running cluster, or None (with the reason printed) where the
    /// PostgreSQL server binaries are not installed; under `CI=true` their
    /// absence fails the test instead.
    pub fn start() -> Option<PrivateCluster> {
        Self::start_with(&[], &[])
    }

    /// [`PrivateCluster::start`], the server started with these variables
    /// in its environment and these `name=value` settings.
    pub fn start_with(env: &[(&str, &str)], settings: &[&str]) -> Option<PrivateCluster> {
        let Some(bin) = server_binaries() else {
            assert!(
                std::env::var("CI").is_err(),
                "CI is set but no PostgreSQL server binaries (initdb, pg_ctl) were found"
            );
            eprintln!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) on this machine");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let cluster = PrivateCluster {
            port,
            bin,
            dir,
            as_postgres,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            settings: settings.iter().map(|s| format!(" -c {s}")).collect(),
        };
        let data = cluster.data_dir();
        cluster.tool(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster.start_again();
        Some(cluster)
    }

    /// A URL of a database in this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a database and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        self.url(name)
    }

    /// Ends every session on `database` but this one (`pg_terminate_backend`);
    /// returns how many were ended.
    pub fn terminate_connections(&self, database: &str) -> usize {
        let out = self.psql(
            "postgres",
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND pid <> pg_backend_pid()"
            ),
        );
        out.trim().parse().expect("a count")
    }

    /// Ends the sessions on `database` that wait for a lock; returns how many.
    pub fn terminate_lock_waiters(&self, database: &str) -> usize {
        let out = self.psql(
            "postgres",
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                 WHERE datname = '{database}' AND wait_event_type = 'Lock'"
            ),
        );
        out.trim().parse().expect("a count")
    }

    /// Stops the server (`fast`: sessions are ended, nothing is lost).
    pub fn stop(&self) {
        let data = self.data_dir();
        self.tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts the server (again).
    pub fn start_again(&self) {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100{}",
            self.port,
            self.dir.path().display(),
            self.settings.concat()
        );
        self.tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-o",
                &options,
                "-l",
                log.to_str().expect("utf-8 path"),
                "-w",
                "start",
            ],
        );
    }

    fn psql(&self, database: &str, sql: &str) -> String {
        let out = run(Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-U", "postgres"])
            .args(["-p", &self.port.to_string(), "-d", database, "-c", sql]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn tool(&self, name: &str, args: &[&str]) -> Output {
        let program = self.bin.join(name);
        // Through `env`, so that the variables reach the server whichever
        // user runs it.
        let env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if self.as_postgres {
            run(Command::new("runuser")
                .args(["-u", "postgres", "--", "env"])
                .args(&env)
                .arg(program)
                .args(args))
        } else {
            run(Command::new("env").args(&env).arg(program).args(args))
        }
    }

    /// The message of the error `sql` raises, as a superuser session of
    /// `database` that changes nothing of its own settings sees it.
    pub fn error_of(&self, database: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-U", "postgres"])
            .args(["-p", &self.port.to_string(), "-d", database, "-c", sql])
            .output()
            .expect("run psql");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let program = self.bin.join("pg_ctl");
        let args = ["-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"];
        let _ = if self.as_postgres {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args)
                .output()
        } else {
            Command::new(program).args(args).output()
        };
    }
}

fn run(command: &mut Command) -> Output {
    let out = command.output().expect("run a PostgreSQL tool");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

/// The folder holding `initdb` and `pg_ctl`: `pg_config --bindir`, else the
/// newest `/usr/lib/postgresql/*/bin` (Debian keeps them off the PATH).
pub fn server_binaries() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").exists() && dir.join("pg_ctl").exists();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_tools(&dir) {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path().join("bin")))
        .filter(|dir| has_tools(dir))
        .collect();
    found.sort_by_key(|dir| {
        dir.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop()
}
