//! Cases, their scripts, and the engine that plays a script against the server.
//!
//! A [`Case`] is one entry of the catalogue: an id (`section.group.n`, like Autobahn's), a
//! description and one or more [`Script`]s, each played on its own connection. A script is a
//! list of [`Act`]s: writes (whole, chopped, paused) and expectations. Writes go through a
//! writer thread, in order, while the case's thread reads and checks what comes back; so a
//! server that echoes while the client is still writing cannot deadlock the suite, and an
//! expectation placed *before* a write checks that the server reacted without it (the
//! strict fail-fast checks: the close must arrive before the rest is sent).
//!
//! Outcomes, as Autobahn's: "echo" means exactly the expected messages came back and the
//! connection still works (a ping answered by its pong, then a clean close exchange);
//! "close N" means a close frame with code N arrived and then the server closed TCP.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::client::{Conn, Event, Target};
use crate::frame::{self, describe, op, Frame, Incoming};
use crate::rng;

/// One thing a script does.
#[derive(Debug, Clone)]
pub enum Act {
    /// Write these bytes in one `write_all`.
    Write {
        /// The bytes.
        bytes: Vec<u8>,
        /// What they are, for the transcript.
        label: String,
    },
    /// Write these bytes in pieces of `size`, pausing `pause` after each.
    Chop {
        /// The bytes.
        bytes: Vec<u8>,
        /// Piece size.
        size: usize,
        /// Pause after each piece.
        pause: Duration,
        /// What they are, for the transcript.
        label: String,
    },
    /// Pause the writer.
    Pause(Duration),
    /// Read until this expectation is met or broken.
    Expect(Want),
}

/// What the server must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// A data message with this opcode and payload (in any fragmentation).
    Message {
        /// TEXT or BINARY.
        opcode: u8,
        /// The whole payload.
        payload: Vec<u8>,
    },
    /// A pong with this payload.
    Pong(Vec<u8>),
    /// A close frame whose code is one of these (`None`: an empty close payload), and then
    /// the end of the TCP connection, with nothing else in between.
    Close(Vec<Option<u16>>),
    /// Nothing at all arrives for this long.
    Silence(Duration),
    /// The connection still works: a ping with a random payload gets its pong.
    Alive,
    /// The client closes with 1000; the server answers with 1000 and closes TCP.
    CleanClose,
}

impl Want {
    fn summary(&self) -> String {
        match self {
            Want::Message { opcode, payload } => {
                format!("{} message of {} bytes", op::name(*opcode), payload.len())
            }
            Want::Pong(p) => format!("pong of {} bytes", p.len()),
            Want::Close(codes) => format!("close {}", codes_text(codes)),
            Want::Silence(d) => format!("nothing for {} ms", d.as_millis()),
            Want::Alive => "pong to a final ping".into(),
            Want::CleanClose => "clean close 1000".into(),
        }
    }
}

fn codes_text(codes: &[Option<u16>]) -> String {
    codes
        .iter()
        .map(|c| c.map_or("(no code)".to_string(), |c| c.to_string()))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The acts played on one connection.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// In order.
    pub acts: Vec<Act>,
}

fn label_of(frames: &[Frame]) -> String {
    let mut parts: Vec<String> = frames
        .iter()
        .take(4)
        .map(|f| {
            let mut d = describe(f.fin, f.rsv, f.opcode, &f.payload);
            if let frame::Length::Declared(n) = f.length {
                d.push_str(&format!(" (header declares {n})"));
            }
            d
        })
        .collect();
    if frames.len() > 4 {
        parts.push(format!("... {} frames in all", frames.len()));
    }
    parts.join(" + ")
}

impl Script {
    /// An empty script.
    pub fn new() -> Script {
        Script::default()
    }

    fn act(mut self, a: Act) -> Script {
        self.acts.push(a);
        self
    }

    /// Sends one frame (one write).
    pub fn send(self, f: Frame) -> Script {
        self.send_all(vec![f])
    }

    /// Sends frames back to back in one write.
    pub fn send_all(self, frames: Vec<Frame>) -> Script {
        let label = label_of(&frames);
        self.act(Act::Write {
            bytes: frame::encode_all(&frames),
            label,
        })
    }

    /// Sends each frame in its own write, pausing `ms` after each ("frame-wise chops").
    pub fn send_each(mut self, frames: Vec<Frame>, ms: u64) -> Script {
        for f in frames {
            self = self.send(f).pause(ms);
        }
        self
    }

    /// Sends the frames' bytes in pieces of `size` bytes, pausing `ms` after each piece
    /// ("octet-wise chops" with `size` 1).
    pub fn chop(self, frames: Vec<Frame>, size: usize, ms: u64) -> Script {
        let label = format!("{} in chops of {size}", label_of(&frames));
        self.act(Act::Chop {
            bytes: frame::encode_all(&frames),
            size: size.max(1),
            pause: Duration::from_millis(ms),
            label,
        })
    }

    /// Sends raw bytes.
    pub fn raw(self, bytes: Vec<u8>, label: &str) -> Script {
        self.act(Act::Write {
            bytes,
            label: label.to_string(),
        })
    }

    /// Sends raw bytes in pieces of `size`, pausing `ms` after each.
    pub fn raw_chop(self, bytes: Vec<u8>, size: usize, ms: u64, label: &str) -> Script {
        self.act(Act::Chop {
            bytes,
            size: size.max(1),
            pause: Duration::from_millis(ms),
            label: label.to_string(),
        })
    }

    /// Pauses the writer.
    pub fn pause(self, ms: u64) -> Script {
        if ms == 0 {
            return self;
        }
        self.act(Act::Pause(Duration::from_millis(ms)))
    }

    /// Expects an echo of a text message.
    pub fn echo_text(self, payload: impl Into<Vec<u8>>) -> Script {
        self.expect(Want::Message {
            opcode: op::TEXT,
            payload: payload.into(),
        })
    }

    /// Expects an echo of a binary message.
    pub fn echo_binary(self, payload: impl Into<Vec<u8>>) -> Script {
        self.expect(Want::Message {
            opcode: op::BINARY,
            payload: payload.into(),
        })
    }

    /// Expects an echo of a message with `opcode`.
    pub fn echo(self, opcode: u8, payload: impl Into<Vec<u8>>) -> Script {
        self.expect(Want::Message {
            opcode,
            payload: payload.into(),
        })
    }

    /// Expects a pong.
    pub fn pong(self, payload: impl Into<Vec<u8>>) -> Script {
        self.expect(Want::Pong(payload.into()))
    }

    /// Expects anything.
    pub fn expect(self, w: Want) -> Script {
        self.act(Act::Expect(w))
    }

    /// Ends with: the server closes with `code`, then closes TCP.
    pub fn close(self, code: u16) -> Script {
        self.expect(Want::Close(vec![Some(code)]))
    }

    /// Ends with: the server closes with one of `codes`, then closes TCP.
    pub fn close_any(self, codes: &[Option<u16>]) -> Script {
        self.expect(Want::Close(codes.to_vec()))
    }

    /// Ends with: the connection still works, and closes cleanly.
    pub fn ok(self) -> Script {
        self.expect(Want::Alive).expect(Want::CleanClose)
    }

    /// What the script expects in the end, in a few words.
    pub fn expectation(&self) -> String {
        let wants: Vec<&Want> = self
            .acts
            .iter()
            .filter_map(|a| match a {
                Act::Expect(w) => Some(w),
                _ => None,
            })
            .collect();
        match wants.last() {
            Some(Want::CleanClose) => {
                let echoes = wants
                    .iter()
                    .filter(|w| matches!(w, Want::Message { .. } | Want::Pong(_)))
                    .count();
                if echoes == 0 {
                    "open (no reply), clean close".into()
                } else {
                    format!("{echoes} echo(es), open, clean close")
                }
            }
            Some(w) => w.summary(),
            None => "nothing".into(),
        }
    }
}

/// A check that does not fit a script (the opening handshake's variants): it gets the
/// target and says what went wrong.
pub type Custom = Arc<dyn Fn(&Target) -> Result<(), String> + Send + Sync>;

/// A case of the catalogue.
#[derive(Clone)]
pub struct Case {
    /// `section.group.n`.
    pub id: String,
    /// What is sent.
    pub desc: String,
    /// One script per connection.
    pub scripts: Vec<Script>,
    /// Instead of scripts: a custom check and its expected outcome in words.
    pub custom: Option<(Custom, String)>,
    /// Moves megabytes: at most a couple run at once.
    pub heavy: bool,
}

impl Case {
    /// A case with one script.
    pub fn new(id: impl Into<String>, desc: impl Into<String>, script: Script) -> Case {
        Case::multi(id, desc, vec![script])
    }

    /// A case played over several connections.
    pub fn multi(id: impl Into<String>, desc: impl Into<String>, scripts: Vec<Script>) -> Case {
        Case {
            id: id.into(),
            desc: desc.into(),
            scripts,
            custom: None,
            heavy: false,
        }
    }

    /// A case checked by a function instead of scripts.
    pub fn custom(
        id: impl Into<String>,
        desc: impl Into<String>,
        expected: impl Into<String>,
        check: impl Fn(&Target) -> Result<(), String> + Send + Sync + 'static,
    ) -> Case {
        Case {
            custom: Some((Arc::new(check), expected.into())),
            ..Case::multi(id, desc, Vec::new())
        }
    }

    /// Marks the case as moving a lot of data.
    pub fn heavy(mut self) -> Case {
        self.heavy = true;
        self
    }

    /// The section number (the id's first component).
    pub fn section(&self) -> u32 {
        section_of(&self.id)
    }

    /// The expected outcome in a few words.
    pub fn expectation(&self) -> String {
        if let Some((_, expected)) = &self.custom {
            return expected.clone();
        }
        let first = self
            .scripts
            .first()
            .map(Script::expectation)
            .unwrap_or_default();
        if self.scripts.len() > 1 {
            format!("{first} (x{} connections)", self.scripts.len())
        } else {
            first
        }
    }

    /// Whether the case is selected by `filter`: a section (`6`), a group (`6.12`) or an id.
    pub fn matches(&self, filter: &str) -> bool {
        let f = filter.trim_end_matches('.');
        self.id == f || self.id.starts_with(&format!("{f}."))
    }
}

/// The section number of an id.
pub fn section_of(id: &str) -> u32 {
    id.split('.')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// What happened in a case.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The case id.
    pub id: String,
    /// The case description.
    pub desc: String,
    /// The expected outcome.
    pub expected: String,
    /// `None` if it passed; otherwise what went wrong, with the transcript.
    pub failure: Option<String>,
    /// Wall time of the case.
    pub elapsed: Duration,
}

impl Outcome {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// A transcript shared by the reader and the writer of a connection.
#[derive(Clone)]
struct Log {
    start: Instant,
    lines: Arc<Mutex<Vec<String>>>,
}

const LOG_CAP: usize = 120;

impl Log {
    fn new() -> Log {
        Log {
            start: Instant::now(),
            lines: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn add(&self, line: impl AsRef<str>) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() < LOG_CAP {
            let ms = self.start.elapsed().as_millis();
            lines.push(format!("{ms:>6} ms  {}", line.as_ref()));
        } else if lines.len() == LOG_CAP {
            lines.push("        ... (transcript truncated)".into());
        }
    }

    fn text(&self) -> String {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }
}

enum Job {
    Write(Vec<u8>, String),
    Chop(Vec<u8>, usize, Duration, String),
    Pause(Duration),
    /// Written even after `stop`: the client's close reply.
    Reply(Vec<u8>, String),
}

fn writer(mut s: TcpStream, jobs: Receiver<Job>, stop: Arc<AtomicBool>, log: Log) {
    let stopped = || stop.load(Ordering::SeqCst);
    for job in jobs {
        match job {
            Job::Reply(bytes, label) => {
                log.add(format!("-> {label}"));
                if let Err(e) = s.write_all(&bytes) {
                    log.add(format!("-> (write failed: {e})"));
                }
            }
            _ if stopped() => {}
            Job::Write(bytes, label) => {
                log.add(format!("-> {label}"));
                if let Err(e) = s.write_all(&bytes) {
                    log.add(format!("-> (write failed: {e})"));
                    stop.store(true, Ordering::SeqCst);
                }
            }
            Job::Chop(bytes, size, pause, label) => {
                log.add(format!("-> {label}"));
                for piece in bytes.chunks(size) {
                    if stopped() {
                        log.add("-> (rest of the chops not sent: the server closed)");
                        break;
                    }
                    if let Err(e) = s.write_all(piece) {
                        log.add(format!("-> (write failed: {e})"));
                        stop.store(true, Ordering::SeqCst);
                        break;
                    }
                    if !pause.is_zero() {
                        thread::sleep(pause);
                    }
                }
            }
            Job::Pause(d) => {
                let until = Instant::now() + d;
                while !stopped() && Instant::now() < until {
                    thread::sleep(Duration::from_millis(5).min(d));
                }
            }
        }
    }
}

/// Plays one script on a fresh connection.
pub fn run_script(target: &Target, script: &Script) -> Result<(), String> {
    let log = Log::new();
    let result = play(target, script, &log);
    result.map_err(|e| format!("{e}\n    transcript:\n{}", indent(&log.text(), 6)))
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

fn play(target: &Target, script: &Script, log: &Log) -> Result<(), String> {
    let mut conn = Conn::open(target)?;
    log.add("handshake ok");
    let write_half = conn
        .stream
        .try_clone()
        .map_err(|e| format!("clone socket: {e}"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let writer_thread = {
        let (stop, log) = (stop.clone(), log.clone());
        thread::spawn(move || writer(write_half, rx, stop, log))
    };
    let mut result = Ok(());
    for (i, act) in script.acts.iter().enumerate() {
        let job = match act {
            Act::Write { bytes, label } => Job::Write(bytes.clone(), label.clone()),
            Act::Chop {
                bytes,
                size,
                pause,
                label,
            } => Job::Chop(bytes.clone(), *size, *pause, label.clone()),
            Act::Pause(d) => Job::Pause(*d),
            Act::Expect(want) => {
                if let Err(e) = expect(&mut conn, want, &tx, &stop, log) {
                    result = Err(format!(
                        "step {} (expecting {}): {e}",
                        i + 1,
                        want.summary()
                    ));
                    break;
                }
                continue;
            }
        };
        // The writer only ends when the channel closes, so this cannot fail.
        let _ = tx.send(job);
    }
    stop.store(true, Ordering::SeqCst);
    drop(tx);
    let _ = conn.stream.shutdown(Shutdown::Both);
    let _ = writer_thread.join();
    result
}

/// Reads the next frame, logging it and checking it against the rules for server frames.
fn next_frame(conn: &mut Conn, log: &Log) -> Result<Incoming, String> {
    match conn.next_event() {
        Event::Frame(f) => {
            log.add(format!("<- {f:?}"));
            match f.violation() {
                Some(v) => Err(format!("invalid frame from the server: {v}")),
                None => Ok(f),
            }
        }
        Event::Eof => {
            log.add("<- EOF");
            Err("the server closed TCP".into())
        }
        Event::Reset(e) => {
            log.add(format!("<- {e}"));
            Err(format!("connection failed: {e}"))
        }
        Event::Timeout => {
            log.add("<- (timeout)");
            Err(format!(
                "nothing arrived within {} s",
                conn.timeout.as_secs_f32()
            ))
        }
        Event::Garbage(e) => {
            log.add(format!("<- garbage: {e}"));
            Err(format!("unparseable bytes from the server: {e}"))
        }
    }
}

fn expect(
    conn: &mut Conn,
    want: &Want,
    tx: &mpsc::Sender<Job>,
    stop: &AtomicBool,
    log: &Log,
) -> Result<(), String> {
    match want {
        Want::Message { opcode, payload } => expect_message(conn, *opcode, payload, log),
        Want::Pong(payload) => {
            let f = next_frame(conn, log)?;
            if f.opcode != op::PONG {
                return Err(format!("got {f:?} instead of a pong"));
            }
            if &f.payload != payload {
                return Err(format!(
                    "pong payload {} differs from the ping's {}",
                    frame::preview(&f.payload),
                    frame::preview(payload)
                ));
            }
            Ok(())
        }
        Want::Alive => {
            let payload = rng::bytes(8 + (rng::u64() % 9) as usize);
            let ping = Frame::ping(payload.clone());
            let _ = tx.send(Job::Write(ping.encode(), "PING (liveness)".into()));
            expect(conn, &Want::Pong(payload), tx, stop, log)
        }
        Want::CleanClose => {
            let close = Frame::close(1000, b"bye");
            let _ = tx.send(Job::Write(close.encode(), "CLOSE code=1000 (clean)".into()));
            expect_close(conn, &[Some(1000)], None, stop, log)
        }
        Want::Close(codes) => expect_close(conn, codes, Some(tx), stop, log),
        Want::Silence(d) => {
            let saved = conn.timeout;
            conn.timeout = *d;
            let ev = conn.next_event();
            conn.timeout = saved;
            match ev {
                Event::Timeout => Ok(()),
                Event::Frame(f) => {
                    log.add(format!("<- {f:?}"));
                    Err(format!("got {f:?} where nothing was due"))
                }
                other => Err(format!("got {other:?} where nothing was due")),
            }
        }
    }
}

fn expect_message(conn: &mut Conn, opcode: u8, payload: &[u8], log: &Log) -> Result<(), String> {
    let first = next_frame(conn, log)?;
    if first.opcode != opcode {
        return Err(format!(
            "got {first:?} instead of a {} message",
            op::name(opcode)
        ));
    }
    let mut got = first.payload;
    let mut fin = first.fin;
    while !fin {
        let f = next_frame(conn, log)?;
        if f.opcode != op::CONT {
            return Err(format!("got {f:?} inside the echo of a fragmented message"));
        }
        got.extend_from_slice(&f.payload);
        fin = f.fin;
    }
    if opcode == op::TEXT && std::str::from_utf8(&got).is_err() {
        return Err("the server sent a text message that is not UTF-8 (§8.1)".into());
    }
    if got != payload {
        let at = got.iter().zip(payload).position(|(a, b)| a != b);
        let mut msg = format!(
            "echo differs: {} bytes back for {} sent",
            got.len(),
            payload.len()
        );
        if let Some(at) = at {
            let _ = write!(msg, ", first difference at byte {at}");
        }
        return Err(msg);
    }
    Ok(())
}

fn expect_close(
    conn: &mut Conn,
    codes: &[Option<u16>],
    reply: Option<&mpsc::Sender<Job>>,
    stop: &AtomicBool,
    log: &Log,
) -> Result<(), String> {
    let f = next_frame(conn, log)?;
    if f.opcode != op::CLOSE {
        return Err(format!("got {f:?} instead of a close frame"));
    }
    let code = f.close_code();
    if !codes.contains(&code) {
        return Err(format!(
            "close code {} instead of {}",
            codes_text(&[code]),
            codes_text(codes)
        ));
    }
    if let Some(tx) = reply {
        // §5.5.1: the client answers the server's close with a close, and then waits for
        // the server to close TCP (§7.1.1). Nothing else of the script is sent any more.
        stop.store(true, Ordering::SeqCst);
        let answer = match code {
            Some(c) => Frame::close(c, b""),
            None => Frame::close_raw(Vec::new()),
        };
        let _ = tx.send(Job::Reply(answer.encode(), "CLOSE (reply)".into()));
    }
    match conn.next_event() {
        Event::Eof => {
            log.add("<- EOF");
            Ok(())
        }
        Event::Reset(e) => {
            // A server that closes with unread input in its buffer makes the kernel send
            // RST instead of FIN: still the end of the TCP connection.
            log.add(format!("<- {e}"));
            Ok(())
        }
        Event::Frame(f) => {
            log.add(format!("<- {f:?}"));
            Err(format!("got {f:?} after the server's close frame"))
        }
        Event::Timeout => Err("the server did not close TCP after its close frame".into()),
        Event::Garbage(e) => Err(format!("bytes after the close frame: {e}")),
    }
}

/// Plays every script of `case`, each on its own connection.
pub fn run_case(target: &Target, case: &Case) -> Outcome {
    let start = Instant::now();
    let mut failure = None;
    if let Some((check, _)) = &case.custom {
        failure = check(target).err();
    }
    for (i, script) in case.scripts.iter().enumerate() {
        if let Err(e) = run_script(target, script) {
            let which = if case.scripts.len() > 1 {
                format!("connection {} of {}: ", i + 1, case.scripts.len())
            } else {
                String::new()
            };
            failure = Some(format!("{which}{e}"));
            break;
        }
    }
    Outcome {
        id: case.id.clone(),
        desc: case.desc.clone(),
        expected: case.expectation(),
        failure,
        elapsed: start.elapsed(),
    }
}
