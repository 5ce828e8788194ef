//! [`Subscription`]: every event from the moment of subscribing, for each of
//! several subscribers.
//!
//! ```text
//!   Broadcast (owner: Connector / TcpClient)
//!      | publish(e): clone e into every queue, then wake their tasks
//!      v
//!   Hub (Arc<Mutex<..>>) --- queue 0 ---> Subscription 0 (Stream)
//!      ^                 \-- queue 1 ---> Subscription 1 (Stream)
//!      | subscribe()
//!   Subscribers (in handles, any thread)
//! ```
//!
//! Rules:
//! - The owner publishes from its loop; subscriptions may be taken and
//!   polled on any thread (the queues sit behind one mutex, so a client's
//!   states can be watched from the thread that holds its handle).
//! - Queues are unbounded: a subscriber that never reads only costs its
//!   own memory, and the owner never waits for a reader.
//! - When the owner is dropped the hub closes: each subscription yields
//!   what it still holds, then `None`; later subscriptions end at once.
//! - Wakers are woken after the lock is released.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

struct Hub<T> {
    closed: bool,
    next_id: u64,
    queues: BTreeMap<u64, Queue<T>>,
}

struct Queue<T> {
    items: VecDeque<T>,
    waker: Option<Waker>,
}

fn lock<T>(hub: &Mutex<Hub<T>>) -> MutexGuard<'_, Hub<T>> {
    hub.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The owner's side: publishes, and closes the hub when dropped.
pub(crate) struct Broadcast<T> {
    hub: Arc<Mutex<Hub<T>>>,
}

/// A way to subscribe that handles carry; it does not keep the hub open.
pub(crate) struct Subscribers<T> {
    hub: Arc<Mutex<Hub<T>>>,
}

impl<T: Clone> Broadcast<T> {
    /// An open hub with no subscriber.
    pub(crate) fn new() -> Broadcast<T> {
        let hub = Hub {
            closed: false,
            next_id: 0,
            queues: BTreeMap::new(),
        };
        Broadcast {
            hub: Arc::new(Mutex::new(hub)),
        }
    }

    /// Queues a clone of `item` for every subscription and wakes those
    /// that wait.
    pub(crate) fn publish(&self, item: T) {
        let wakers: Vec<Waker> = {
            let mut hub = lock(&self.hub);
            hub.queues
                .values_mut()
                .filter_map(|queue| {
                    queue.items.push_back(item.clone());
                    queue.waker.take()
                })
                .collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// A new subscription: every item published from now on.
    pub(crate) fn subscribe(&self) -> Subscription<T> {
        subscribe(&self.hub)
    }

    /// A subscribing handle for another thread.
    pub(crate) fn subscribers(&self) -> Subscribers<T> {
        Subscribers {
            hub: Arc::clone(&self.hub),
        }
    }
}

impl<T> Drop for Broadcast<T> {
    fn drop(&mut self) {
        let wakers: Vec<Waker> = {
            let mut hub = lock(&self.hub);
            hub.closed = true;
            hub.queues
                .values_mut()
                .filter_map(|q| q.waker.take())
                .collect()
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T> Subscribers<T> {
    /// A new subscription: every item published from now on.
    pub(crate) fn subscribe(&self) -> Subscription<T> {
        subscribe(&self.hub)
    }
}

impl<T> Clone for Subscribers<T> {
    fn clone(&self) -> Self {
        Subscribers {
            hub: Arc::clone(&self.hub),
        }
    }
}

impl<T> fmt::Debug for Subscribers<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscribers").finish_non_exhaustive()
    }
}

fn subscribe<T>(hub: &Arc<Mutex<Hub<T>>>) -> Subscription<T> {
    let mut guard = lock(hub);
    let id = guard.next_id;
    guard.next_id += 1;
    if !guard.closed {
        let queue = Queue {
            items: VecDeque::new(),
            waker: None,
        };
        guard.queues.insert(id, queue);
    }
    Subscription {
        hub: Arc::clone(hub),
        id,
    }
}

/// A stream of every event published after it was taken, from
/// [`Connector::events`](crate::Connector::events) or
/// [`ClientHandle::states`](crate::ClientHandle::states).
///
/// It ends (`None`) once the publisher is gone and the queued events are
/// read. Its queue is unbounded: read it, or drop it. It is `Send` when the
/// events are, so it may be read on another thread than the publisher's.
pub struct Subscription<T> {
    hub: Arc<Mutex<Hub<T>>>,
    id: u64,
}

impl<T> Subscription<T> {
    /// The next event if one is queued, without waiting. `None` also when
    /// nothing is queued yet; see [`recv`](Self::recv) to wait.
    pub fn try_recv(&mut self) -> Option<T> {
        let mut hub = lock(&self.hub);
        hub.queues.get_mut(&self.id)?.items.pop_front()
    }

    /// Waits for the next event; `None` once the publisher is gone and
    /// nothing is left. The same as the `Stream`'s `next`.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next event (the `Stream`'s `poll_next`).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut hub = lock(&self.hub);
        let closed = hub.closed;
        let Some(queue) = hub.queues.get_mut(&self.id) else {
            return Poll::Ready(None);
        };
        if let Some(item) = queue.items.pop_front() {
            return Poll::Ready(Some(item));
        }
        if closed {
            return Poll::Ready(None);
        }
        match &queue.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => queue.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Stream for Subscription<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<T> Drop for Subscription<T> {
    fn drop(&mut self) {
        let queue = lock(&self.hub).queues.remove(&self.id);
        // The queue (and its waker) drop here, outside the lock.
        drop(queue);
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop_cx<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: Arc<Self>) {}
        }
        let waker = Waker::from(Arc::new(Noop));
        f(&mut Context::from_waker(&waker))
    }

    #[test]
    fn each_subscriber_gets_every_item_from_subscription_on() {
        let hub = Broadcast::new();
        let mut early = hub.subscribe();
        hub.publish(1);
        let mut late = hub.subscribers().subscribe();
        hub.publish(2);
        assert_eq!(early.try_recv(), Some(1));
        assert_eq!(early.try_recv(), Some(2));
        assert_eq!(early.try_recv(), None);
        assert_eq!(late.try_recv(), Some(2));
        assert_eq!(late.try_recv(), None);
    }

    #[test]
    fn closing_drains_then_ends() {
        let hub = Broadcast::new();
        let mut sub = hub.subscribe();
        let subscribers = hub.subscribers();
        noop_cx(|cx| assert!(sub.poll_recv(cx).is_pending()));
        hub.publish("a");
        drop(hub);
        noop_cx(|cx| {
            assert_eq!(sub.poll_recv(cx), Poll::Ready(Some("a")));
            assert_eq!(sub.poll_recv(cx), Poll::Ready(None));
            assert_eq!(subscribers.subscribe().poll_recv(cx), Poll::Ready(None));
        });
    }

    #[test]
    fn a_dropped_subscription_leaves_the_hub() {
        let hub = Broadcast::new();
        let sub = hub.subscribe();
        assert_eq!(lock(&hub.hub).queues.len(), 1);
        drop(sub);
        hub.publish(());
        assert!(lock(&hub.hub).queues.is_empty());
    }
}
