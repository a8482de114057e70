//! Runs cases concurrently (bounded) and prints the summary table.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::case::{run_case, section_of, Case, Outcome};
use crate::cases::SECTIONS;
use crate::client::Target;

/// How many cases run at once. The server has two cores here; eight connections keep it
/// busy while the suite's threads mostly wait on reads.
pub const WORKERS: usize = 8;
/// How many heavy (multi-megabyte) cases run at once, to bound the memory of both sides.
pub const HEAVY_WORKERS: usize = 2;

struct Gate {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Gate {
    fn enter(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
    }

    fn leave(&self) {
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cv.notify_one();
    }
}

/// Runs `cases` against `target`, `workers` at a time; heavy cases first so that they
/// overlap with the many small ones. Calls `progress` after each case. Results come back
/// in the order of `cases`.
pub fn run_all(
    target: &Target,
    cases: &[Case],
    workers: usize,
    progress: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    order.sort_by_key(|&i| !cases[i].heavy);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; cases.len()]);
    let gate = Gate {
        free: Mutex::new(HEAVY_WORKERS),
        cv: Condvar::new(),
    };
    thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(&i) = order.get(k) else { break };
                let case = &cases[i];
                if case.heavy {
                    gate.enter();
                }
                let outcome = run_case(target, case);
                if case.heavy {
                    gate.leave();
                }
                progress(&outcome);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|o| o.expect("every case ran"))
        .collect()
}

/// Per-section counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
}

/// Counts outcomes per section, in the order of [`SECTIONS`].
pub fn tally(outcomes: &[Outcome]) -> Vec<(u32, &'static str, Tally)> {
    SECTIONS
        .iter()
        .map(|&(n, name)| {
            let mut t = Tally::default();
            for o in outcomes.iter().filter(|o| section_of(&o.id) == n) {
                if o.passed() {
                    t.passed += 1;
                } else {
                    t.failed += 1;
                }
            }
            (n, name, t)
        })
        .filter(|(_, _, t)| t.passed + t.failed > 0)
        .collect()
}

/// The report: the table, each failure in full, the slowest cases, and the closing
/// `N passed, N failed` line.
pub fn report(outcomes: &[Outcome], wall: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\nsection                   cases  passed  failed");
    let mut total = Tally::default();
    for (n, name, t) in tally(outcomes) {
        let _ = writeln!(
            out,
            "{:<24}{:>7}{:>8}{:>8}",
            format!("{n:>2} {name}"),
            t.passed + t.failed,
            t.passed,
            t.failed
        );
        total.passed += t.passed;
        total.failed += t.failed;
    }
    let _ = writeln!(
        out,
        "{:<24}{:>7}{:>8}{:>8}",
        "   total",
        total.passed + total.failed,
        total.passed,
        total.failed
    );
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nFAILED CASES");
        for o in &failures {
            let _ = writeln!(
                out,
                "\n[{}] {}\n  expected: {}\n  {}",
                o.id,
                o.desc,
                o.expected,
                o.failure.as_deref().unwrap_or_default()
            );
        }
    }
    let mut slow: Vec<&Outcome> = outcomes.iter().collect();
    slow.sort_by_key(|o| std::cmp::Reverse(o.elapsed));
    let _ = writeln!(out, "\nslowest cases:");
    for o in slow.iter().take(5) {
        let _ = writeln!(
            out,
            "  {:>8.0} ms  {}  {}",
            o.elapsed.as_secs_f64() * 1e3,
            o.id,
            o.desc
        );
    }
    let _ = writeln!(out, "\nwall time {:.1} s", wall.as_secs_f64());
    let _ = writeln!(
        out,
        "conformance: {} passed, {} failed",
        total.passed, total.failed
    );
    out
}

/// Runs the selected cases and returns the outcomes and the report.
pub fn run_and_report(
    target: &Target,
    cases: &[Case],
    workers: usize,
    verbose: bool,
) -> (Vec<Outcome>, String) {
    let start = Instant::now();
    let done = AtomicUsize::new(0);
    let total = cases.len();
    let progress = |o: &Outcome| {
        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
        if verbose {
            let status = if o.passed() { "ok  " } else { "FAIL" };
            let ms = o.elapsed.as_millis();
            eprintln!(
                "[{n:>4}/{total}] {status} {:<10} {ms:>6} ms  {}",
                o.id, o.desc
            );
        } else if !o.passed() {
            eprintln!("[{n:>4}/{total}] FAIL {} {}", o.id, o.desc);
        }
    };
    let outcomes = run_all(target, cases, workers, &progress);
    let text = report(&outcomes, start.elapsed());
    (outcomes, text)
}
