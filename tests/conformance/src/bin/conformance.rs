//! `conformance [--url ws://HOST:PORT/echo] [--filter SECTION_OR_ID]... [--workers N]
//! [--max-message-size BYTES] [--verbose] [--list]`
//!
//! Runs the conformance cases against a server's echo endpoint and prints a table of
//! passed/failed cases per section. Without `--url` it starts `wsprism-server` (from
//! `WSPRISM_SERVER_BIN`, or built with cargo) on an ephemeral port. Exits 1 if any case
//! fails.

use std::process::ExitCode;

use wsprism_conformance::{cases, client::Target, runner, server::Server};

const USAGE: &str = "usage: conformance [--url ws://HOST:PORT/echo] [--filter SECTION_OR_ID]... \
[--workers N] [--max-message-size BYTES] [--verbose] [--list]";

struct Args {
    url: Option<String>,
    filters: Vec<String>,
    workers: usize,
    max_message: usize,
    verbose: bool,
    list: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        url: None,
        filters: Vec::new(),
        workers: runner::WORKERS,
        max_message: cases::s9_limits::DEFAULT_MAX_MESSAGE,
        verbose: false,
        list: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--url" => a.url = Some(value("--url")?),
            "--filter" => a.filters.push(value("--filter")?),
            "--workers" => {
                a.workers = value("--workers")?
                    .parse()
                    .map_err(|_| "--workers takes a number")?
            }
            "--max-message-size" => {
                a.max_message = value("--max-message-size")?
                    .parse()
                    .map_err(|_| "--max-message-size takes a byte count")?
            }
            "--verbose" | "-v" => a.verbose = true,
            "--list" => a.list = true,
            "--help" | "-h" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let selected: Vec<_> = cases::all(args.max_message)
        .into_iter()
        .filter(|c| args.filters.is_empty() || args.filters.iter().any(|f| c.matches(f)))
        .collect();
    if args.list {
        for c in &selected {
            println!("{:<10} {:<60} -> {}", c.id, c.desc, c.expectation());
        }
        println!("{} cases", selected.len());
        return ExitCode::SUCCESS;
    }
    if selected.is_empty() {
        eprintln!("no case matches {:?}", args.filters);
        return ExitCode::from(2);
    }
    let (mut server, target) = match &args.url {
        Some(url) => match Target::parse(url) {
            Ok(t) => (None, t),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        None => match Server::start(&[]) {
            Ok(s) => {
                let t = s.echo();
                eprintln!("started wsprism-server on {}", s.addr);
                (Some(s), t)
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
    };
    eprintln!(
        "running {} cases against ws://{}{} ({} at a time)",
        selected.len(),
        target.host,
        target.path,
        args.workers
    );
    let (outcomes, report) = runner::run_and_report(&target, &selected, args.workers, args.verbose);
    println!("{report}");
    if let Some(s) = server.as_mut() {
        if !s.is_running() {
            println!(
                "the server exited during the run; its stderr ended with:\n{}",
                s.stderr_tail()
            );
        }
    }
    if outcomes.iter().all(|o| o.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
