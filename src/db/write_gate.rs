//! SQLite admits one writer at a time. Left to itself, each writer that finds
//! the database locked sleeps in `busy_timeout`'s growing steps (1, 2, 5, …
//! 100 ms) and tries again: a writer may sleep on while the lock sits free,
//! and a busy writer (the write pipeline during a launch) can starve the
//! others. So the write transactions of this process queue on a gate per
//! database file instead, first come first served, and each is woken the
//! moment the one before it ends. `busy_timeout` stays as the backstop for
//! other processes on the same file (the command line, a second server).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use diesel::prelude::*;
use diesel::sql_types::Text;

/// A ticket lock: turns are served in the order they were taken.
#[derive(Default)]
pub(super) struct Gate {
    /// (next ticket to hand out, ticket being served)
    tickets: Mutex<(u64, u64)>,
    turn_over: Condvar,
}

/// A writer's turn at the gate; the next writer's begins when it is dropped.
pub(super) struct Turn {
    gate: Arc<Gate>,
}

impl Gate {
    /// Waits for this writer's turn.
    pub(super) fn enter(self: &Arc<Self>) -> Option<Turn> {
        let mut tickets = self.tickets.lock().ok()?;
        let mine = tickets.0;
        tickets.0 += 1;
        let _served = self
            .turn_over
            .wait_while(tickets, |(_, serving)| *serving != mine)
            .ok()?;
        Some(Turn { gate: self.clone() })
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Ok(mut tickets) = self.gate.tickets.lock() {
            tickets.1 += 1;
        }
        self.gate.turn_over.notify_all();
    }
}

/// The gate of the database file `conn` has open (None for an in-memory
/// database, which no other connection shares).
pub(super) fn gate_of(conn: &mut diesel::SqliteConnection) -> QueryResult<Option<Arc<Gate>>> {
    #[derive(QueryableByName)]
    struct File {
        #[diesel(sql_type = Text)]
        file: String,
    }
    // Kept prepared: every write transaction asks.
    let file = super::prepared::Statement::sqlite()
        .sql("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .get_result::<File>(conn)?
        .file;
    if file.is_empty() {
        return Ok(None);
    }
    static GATES: OnceLock<Mutex<HashMap<String, Arc<Gate>>>> = OnceLock::new();
    let Ok(mut gates) = GATES.get_or_init(Default::default).lock() else {
        return Ok(None);
    };
    Ok(Some(gates.entry(file).or_default().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn writers_are_served_in_arrival_order() {
        let gate = Arc::new(Gate::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let first = gate.enter().unwrap();
        let mut waiting = Vec::new();
        for i in 0..5 {
            let (gate, order) = (gate.clone(), order.clone());
            waiting.push(std::thread::spawn(move || {
                let _turn = gate.enter().unwrap();
                order.lock().unwrap().push(i);
            }));
            // Let writer i take its ticket before writer i + 1.
            std::thread::sleep(Duration::from_millis(30));
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "nobody passes a held gate"
        );
        drop(first);
        for t in waiting {
            t.join().unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }
}
