//! Every conformance case against a freshly started `wsprism-server`: the test fails if
//! any case fails, and prints the per-section table either way.

use wsprism_conformance::{cases, runner, server::Server};

#[test]
fn every_conformance_case_passes() {
    let server = Server::start(&[]).unwrap_or_else(|e| panic!("{e}"));
    let all = cases::all(cases::s9_limits::DEFAULT_MAX_MESSAGE);
    assert!(
        all.len() >= 200,
        "the catalogue shrank to {} cases",
        all.len()
    );
    let (outcomes, report) = runner::run_and_report(&server.echo(), &all, runner::WORKERS, false);
    println!("{report}");
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.id.as_str())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed: {failed:?}\n{report}\nserver stderr (tail):\n{}",
        failed.len(),
        outcomes.len(),
        server.stderr_tail()
    );
}
