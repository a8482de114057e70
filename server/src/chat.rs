//! `/chat`: one broadcast room. Every text message a client sends goes to every other client,
//! and everybody hears who joins and leaves.
//!
//! Messages are JSON text, built and framed once per broadcast (the frame is a shared
//! [`Bytes`], so a message to 1,000 clients is encoded once and referenced 1,000 times):
//!
//! | to | message |
//! |---|---|
//! | the new client | `{"type":"welcome","id":7,"members":[3,5]}` (ids of the others) |
//! | the others | `{"type":"join","id":7,"count":3}` (`count`: members now) |
//! | the others | `{"type":"message","from":7,"text":"hi"}` |
//! | the others | `{"type":"leave","id":7,"count":2,"reason":"closed"}` or `"reason":"too-slow"` |
//!
//! Binary messages are refused with close 1003 (RFC 6455 §7.4.1: "an endpoint that
//! understands only text data MAY send this if it receives a binary message").
//!
//! # Slow clients
//! Each client has an outgoing queue bounded in bytes (`--max-send-queue`). A broadcast
//! never waits for a client: when a client's queue is full, that client is removed from
//! the room and its connection is closed with 1008 (policy violation, reason "too slow"),
//! instead of silently dropping some of its messages. Dropping would leave it with a
//! conversation that has holes it cannot detect; disconnecting tells it plainly that it lost
//! messages and must rejoin, the way uWebSockets' `closeOnBackpressureLimit` does. Either way
//! one slow reader can neither stall the room nor grow the server's memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::json;
use tokio::sync::mpsc;
use wsprism::{FrameHeader, OpCode};

/// Per-entry bookkeeping charged against the queue limit on top of the frame bytes, so that
/// a flood of empty messages is bounded too.
const ENTRY_COST: usize = 64;

/// Encodes a server-to-client (unmasked) text frame with `payload`.
pub fn text_frame(payload: &str) -> Bytes {
    let header = FrameHeader::new(OpCode::Text, payload.len() as u64).encode();
    let mut frame = Vec::with_capacity(header.len() + payload.len());
    frame.extend_from_slice(&header);
    frame.extend_from_slice(payload.as_bytes());
    Bytes::from(frame)
}

/// State shared by a queue's two ends.
#[derive(Debug, Default)]
struct QueueState {
    /// Bytes (frames plus [`ENTRY_COST`] each) waiting in the queue.
    bytes: AtomicUsize,
    /// Set when the room dropped this client for being too slow.
    kicked: AtomicBool,
}

/// The receiving end of a client's outgoing queue, owned by its connection task.
#[derive(Debug)]
pub struct QueueRx {
    rx: mpsc::UnboundedReceiver<Bytes>,
    state: Arc<QueueState>,
}

/// What the connection gets from its queue.
#[derive(Debug)]
pub enum Outbound {
    /// An encoded frame to write.
    Frame(Bytes),
    /// The room dropped this client: its queue overflowed.
    Kicked,
}

impl QueueRx {
    /// The next frame to write, or [`Outbound::Kicked`]. Cancel-safe.
    pub async fn recv(&mut self) -> Outbound {
        match self.rx.recv().await {
            _ if self.state.kicked.load(Ordering::Acquire) => Outbound::Kicked,
            Some(frame) => {
                self.state
                    .bytes
                    .fetch_sub(frame.len() + ENTRY_COST, Ordering::AcqRel);
                Outbound::Frame(frame)
            }
            // The room holds the only sender and drops it only when it kicks us.
            None => Outbound::Kicked,
        }
    }

    /// The next frame if one is queued already, without waiting.
    pub fn try_recv(&mut self) -> Option<Outbound> {
        if self.state.kicked.load(Ordering::Acquire) {
            return Some(Outbound::Kicked);
        }
        match self.rx.try_recv() {
            Ok(frame) => {
                self.state
                    .bytes
                    .fetch_sub(frame.len() + ENTRY_COST, Ordering::AcqRel);
                Some(Outbound::Frame(frame))
            }
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => Some(Outbound::Kicked),
        }
    }

    /// Bytes currently queued.
    pub fn queued_bytes(&self) -> usize {
        self.state.bytes.load(Ordering::Acquire)
    }
}

#[derive(Debug)]
struct Member {
    tx: mpsc::UnboundedSender<Bytes>,
    state: Arc<QueueState>,
}

impl Member {
    /// Queues `frame` unless that would pass `limit`. A frame larger than the limit is
    /// accepted into an empty queue, so that any message the server accepted can be
    /// delivered to a client that keeps up.
    fn try_push(&self, frame: &Bytes, limit: usize) -> bool {
        let cost = frame.len() + ENTRY_COST;
        // Pushes happen under the room's lock, so nobody else adds concurrently; the
        // receiver only subtracts, which can only make room.
        let queued = self.state.bytes.load(Ordering::Acquire);
        if queued > 0 && queued + cost > limit {
            return false;
        }
        self.state.bytes.fetch_add(cost, Ordering::AcqRel);
        // A send fails only when the receiver is gone (the connection is ending).
        self.tx.send(frame.clone()).is_ok()
    }
}

/// The broadcast room.
#[derive(Debug)]
pub struct Room {
    members: Mutex<HashMap<u64, Member>>,
    next_id: AtomicU64,
    queue_limit: usize,
}

impl Room {
    /// An empty room whose clients may each have `queue_limit` bytes queued.
    pub fn new(queue_limit: usize) -> Room {
        Room {
            members: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            queue_limit,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Member>> {
        // A panic while holding the lock cannot leave the map inconsistent (every update
        // is a single insert or remove), so a poisoned lock is still usable.
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a client: returns its id, its queue, and the welcome message to send it.
    /// The others are told with a join notice.
    pub fn join(&self) -> (u64, QueueRx, String) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(QueueState::default());
        let mut members = self.lock();
        let mut others: Vec<u64> = members.keys().copied().collect();
        others.sort_unstable();
        members.insert(
            id,
            Member {
                tx,
                state: state.clone(),
            },
        );
        let count = members.len();
        let notice = json!({"type": "join", "id": id, "count": count}).to_string();
        self.broadcast_locked(&mut members, Some(id), text_frame(&notice));
        drop(members);
        let welcome = json!({"type": "welcome", "id": id, "members": others}).to_string();
        (id, QueueRx { rx, state }, welcome)
    }

    /// Sends a chat message from `from` to everybody else.
    pub fn say(&self, from: u64, text: &str) {
        let msg = json!({"type": "message", "from": from, "text": text}).to_string();
        let frame = text_frame(&msg);
        let mut members = self.lock();
        self.broadcast_locked(&mut members, Some(from), frame);
    }

    /// Removes a client that is leaving (no-op if the room already dropped it).
    pub fn leave(&self, id: u64) {
        let mut members = self.lock();
        if members.remove(&id).is_some() {
            let notice = leave_notice(id, members.len(), "closed");
            self.broadcast_locked(&mut members, None, notice);
        }
    }

    /// Number of clients in the room.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the room is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offers `frame` to every member but `skip`; members whose queue is full are removed
    /// (and marked kicked), and their leave notices are broadcast in turn.
    fn broadcast_locked(
        &self,
        members: &mut HashMap<u64, Member>,
        skip: Option<u64>,
        frame: Bytes,
    ) {
        let mut pending = vec![(skip, frame)];
        while let Some((skip, frame)) = pending.pop() {
            let full: Vec<u64> = members
                .iter()
                .filter(|(id, _)| Some(**id) != skip)
                .filter(|(_, m)| !m.try_push(&frame, self.queue_limit))
                .map(|(id, _)| *id)
                .collect();
            for id in full {
                if let Some(m) = members.remove(&id) {
                    m.state.kicked.store(true, Ordering::Release);
                    tracing::info!(client = id, "chat: send queue full, disconnecting");
                    // Dropping `m.tx` wakes the connection, which then closes with 1008.
                    pending.push((None, leave_notice(id, members.len(), "too-slow")));
                }
            }
        }
    }
}

fn leave_notice(id: u64, count: usize, reason: &str) -> Bytes {
    let notice = json!({"type": "leave", "id": id, "count": count, "reason": reason});
    text_frame(&notice.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(frame: &Bytes) -> serde_json::Value {
        let (h, n) = FrameHeader::decode(frame).unwrap().unwrap();
        assert_eq!(h.opcode, OpCode::Text);
        assert!(h.fin && h.mask.is_none());
        serde_json::from_slice(&frame[n..]).unwrap()
    }

    async fn next(rx: &mut QueueRx) -> serde_json::Value {
        match rx.recv().await {
            Outbound::Frame(f) => payload(&f),
            Outbound::Kicked => panic!("kicked"),
        }
    }

    #[tokio::test]
    async fn join_say_leave() {
        let room = Room::new(1 << 20);
        let (a, mut ra, welcome_a) = room.join();
        let (b, rb, welcome_b) = room.join();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&welcome_a).unwrap()["members"],
            json!([])
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&welcome_b).unwrap()["members"],
            json!([a])
        );
        assert_eq!(next(&mut ra).await, json!({"type":"join","id":b,"count":2}));
        room.say(b, "hi \"there\"");
        assert_eq!(
            next(&mut ra).await,
            json!({"type":"message","from":b,"text":"hi \"there\""})
        );
        assert_eq!(
            rb.queued_bytes(),
            0,
            "the sender does not get its own message"
        );
        room.leave(b);
        assert_eq!(
            next(&mut ra).await,
            json!({"type":"leave","id":b,"count":1,"reason":"closed"})
        );
        assert_eq!(room.len(), 1);
        assert_eq!(ra.queued_bytes(), 0);
    }

    #[tokio::test]
    async fn a_full_queue_gets_its_client_kicked_and_others_told() {
        let room = Room::new(1000);
        let (slow, mut slow_rx, _) = room.join();
        let (talker, _talker_rx, _) = room.join();
        let (_, mut fast_rx, _) = room.join();
        // `slow` never reads; `fast` reads everything it is sent.
        let text = "x".repeat(300);
        let mut seen = Vec::new();
        for _ in 0..10 {
            room.say(talker, &text);
            while let Some(Outbound::Frame(f)) = fast_rx.try_recv() {
                seen.push(payload(&f));
            }
        }
        assert_eq!(room.len(), 2, "the slow client was dropped");
        assert!(
            slow_rx.queued_bytes() <= 1000,
            "its queue never passed the limit"
        );
        // The slow client learns it was kicked, even with frames still queued.
        assert!(matches!(slow_rx.recv().await, Outbound::Kicked));
        // The fast one got every message, and was told why the slow one left.
        let said = seen.iter().filter(|m| m["type"] == "message").count();
        assert_eq!(said, 10);
        let leave = json!({"type": "leave", "id": slow, "count": 2, "reason": "too-slow"});
        assert!(seen.contains(&leave), "{seen:?}");
    }

    #[tokio::test]
    async fn an_oversized_message_still_reaches_an_empty_queue() {
        let room = Room::new(100);
        let (_, mut rx, _) = room.join();
        let (b, _rb, _) = room.join();
        let _join = rx.recv().await;
        room.say(b, &"y".repeat(500));
        let msg = next(&mut rx).await;
        assert_eq!(msg["text"].as_str().unwrap().len(), 500);
        assert_eq!(room.len(), 2);
    }
}
