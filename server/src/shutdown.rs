//! The shutdown signal for WebSocket connections, cheap enough to check on every wake-up.
//!
//! A connection waits for its socket, its chat queue, its timer and the shutdown together,
//! so the shutdown is polled every time the connection wakes, i.e. for every message. A
//! `CancellationToken`'s `cancelled()` future takes the lock of tokio's `Notify` on each
//! of those polls to refresh its waker: callgrind counted about 300 instructions a message
//! for it, some 7 % of the server's user-space work in a 100 × 20 B echo. Here a connection
//! hands its task's waker over once (under a lock) and afterwards checks one atomic flag;
//! it takes the lock again only if it is polled from a different task.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// The sending side, owned by the server: [`fire`](Self::fire) wakes every listener.
#[derive(Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    fired: AtomicBool,
    next_id: AtomicU64,
    /// The waker of every listener that has been polled, by listener id.
    wakers: Mutex<HashMap<u64, Waker>>,
}

impl Inner {
    fn wakers(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waker>> {
        // The map stays consistent whatever a panicking holder did: no invariant spans
        // more than one call on it.
        self.wakers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Shutdown {
    /// A signal that has not fired.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// A listener for one connection.
    pub fn listener(&self) -> Listener {
        Listener {
            inner: self.inner.clone(),
            id: self.inner.next_id.fetch_add(1, Ordering::Relaxed),
            waker: None,
        }
    }

    /// Fires the signal: every listener's [`poll`](Listener::poll) is ready from now on, and
    /// the tasks waiting on one are woken.
    pub fn fire(&self) {
        self.inner.fired.store(true, Ordering::Release);
        // Taken out first: waking under the lock could run a listener's drop on this
        // thread, which takes the lock too.
        let wakers = std::mem::take(&mut *self.inner.wakers());
        for (_, waker) in wakers {
            waker.wake();
        }
    }

    /// Whether [`fire`](Self::fire) was called.
    pub fn is_fired(&self) -> bool {
        self.inner.fired.load(Ordering::Acquire)
    }

    /// How many listeners have a waker registered (for tests: it must drop to zero as
    /// connections end).
    pub fn registered(&self) -> usize {
        self.inner.wakers().len()
    }
}

/// One connection's view of the signal.
#[derive(Debug)]
pub struct Listener {
    inner: Arc<Inner>,
    id: u64,
    /// The waker registered for this listener, kept to see whether a poll brings a new one.
    waker: Option<Waker>,
}

impl Listener {
    /// Ready once the server fired the signal; otherwise makes sure this task is woken then.
    #[inline]
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.inner.fired.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if !self.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return self.register(cx);
        }
        Poll::Pending
    }

    /// Hands this task's waker to the signal (first poll, or a poll from another task).
    #[cold]
    fn register(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let waker = cx.waker().clone();
        self.inner.wakers().insert(self.id, waker.clone());
        self.waker = Some(waker);
        // `fire` sets the flag before it takes the map: if it emptied the map before our
        // insert, the flag is already visible here.
        if self.inner.fired.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Waits for the signal.
    pub async fn fired(&mut self) {
        std::future::poll_fn(|cx| self.poll(cx)).await
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if self.waker.is_some() {
            self.inner.wakers().remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting_waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn pending_until_fired_then_woken_once_and_ready() {
        let shutdown = Shutdown::new();
        let mut l = shutdown.listener();
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(l.poll(&mut cx).is_pending());
        assert!(l.poll(&mut cx).is_pending());
        assert_eq!(
            shutdown.registered(),
            1,
            "the same waker is registered once"
        );
        shutdown.fire();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(l.poll(&mut cx).is_ready());
        assert!(shutdown.is_fired());
    }

    #[test]
    fn a_listener_made_after_firing_is_ready_at_once() {
        let shutdown = Shutdown::new();
        shutdown.fire();
        let mut l = shutdown.listener();
        let (count, waker) = counting_waker();
        assert!(l.poll(&mut Context::from_waker(&waker)).is_ready());
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert_eq!(shutdown.registered(), 0);
    }

    #[test]
    fn a_new_waker_replaces_the_old_one() {
        let shutdown = Shutdown::new();
        let mut l = shutdown.listener();
        let (old, w1) = counting_waker();
        let (new, w2) = counting_waker();
        assert!(l.poll(&mut Context::from_waker(&w1)).is_pending());
        assert!(l.poll(&mut Context::from_waker(&w2)).is_pending());
        assert_eq!(shutdown.registered(), 1);
        shutdown.fire();
        assert_eq!(old.0.load(Ordering::SeqCst), 0);
        assert_eq!(new.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn dropped_listeners_leave_nothing_behind() {
        let shutdown = Shutdown::new();
        let (_, waker) = counting_waker();
        let mut listeners: Vec<_> = (0..100).map(|_| shutdown.listener()).collect();
        for l in &mut listeners {
            assert!(l.poll(&mut Context::from_waker(&waker)).is_pending());
        }
        assert_eq!(shutdown.registered(), 100);
        listeners.truncate(10);
        assert_eq!(shutdown.registered(), 10);
        drop(listeners);
        assert_eq!(shutdown.registered(), 0);
    }

    #[tokio::test]
    async fn wakes_a_waiting_task() {
        let shutdown = Arc::new(Shutdown::new());
        let mut l = shutdown.listener();
        let task = tokio::spawn(async move { l.fired().await });
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        shutdown.fire();
        tokio::time::timeout(std::time::Duration::from_secs(5), task)
            .await
            .expect("woken")
            .unwrap();
    }
}
