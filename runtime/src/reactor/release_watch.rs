//! [`ReleaseWatch`]: learning that a registered source went away, without owning it.
//!
//! Rules: loop thread only, like the registration it watches. The reactor keeps one waker per
//! pending watch in [`Watchers`], a slab in which each watch remembers its slot, so a poll that
//! waits again costs no search; the watched registration's slot in the reactor is flagged, so only
//! its release looks through the watches. A release wakes the watches of that registration, and a
//! watch leaves the list when it sees the release or is dropped. Wakers are woken and dropped only
//! with the list released: either may run any code.

use super::Reactor;
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Tells whether the source of a [`Registration`](crate::io::Registration) is still registered, and
/// wakes a task once it is not: its I/O type was dropped or turned back into its plain source. It
/// holds the reactor, not the source, so the source closes as its owner decides.
///
/// An owner can learn this way that a socket it handed to other code is gone, and drop what it kept
/// for it (a client's duplicate descriptor for a later half-close, say).
///
/// ```
/// use mudu_runtime::io::IoSource;
/// use std::future::poll_fn;
///
/// mudu_runtime::block_on(async {
///     let listener = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let source = IoSource::new(listener)?;
///     let watch = source.registration().release_watch();
///     assert!(!watch.is_released());
///     let watcher = mudu_runtime::spawn(async move { poll_fn(|cx| watch.poll_released(cx)).await });
///     mudu_runtime::task::yield_now().await; // the watcher waits
///     drop(source);
///     watcher.await.unwrap(); // woken by the release
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct ReleaseWatch {
    reactor: Rc<Reactor>,
    index: usize,
    generation: u32,
    id: u64,
    /// This watch's slot in the reactor's [`Watchers`], while it has one.
    slot: Cell<Option<usize>>,
}

impl ReleaseWatch {
    pub(super) fn new(reactor: Rc<Reactor>, index: usize, generation: u32) -> ReleaseWatch {
        let id = reactor.watchers.next_id.get();
        reactor.watchers.next_id.set(id + 1);
        ReleaseWatch {
            reactor,
            index,
            generation,
            id,
            slot: Cell::new(None),
        }
    }

    /// True once the watched registration is gone.
    pub fn is_released(&self) -> bool {
        !self.reactor.is_registered(self.index, self.generation)
    }

    /// Ready once the watched registration is gone; until then keeps `cx`'s waker (the latest one) to
    /// wake when it goes.
    pub fn poll_released(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_released() {
            self.reactor.watchers.remove(self);
            return Poll::Ready(());
        }
        if self.reactor.watchers.store(self, cx.waker()) {
            self.reactor.mark_watched(self.index, self.generation);
        }
        Poll::Pending
    }
}

impl Drop for ReleaseWatch {
    fn drop(&mut self) {
        self.reactor.watchers.remove(self);
    }
}

impl fmt::Debug for ReleaseWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReleaseWatch")
            .field("index", &self.index)
            .field("generation", &self.generation)
            .field("released", &self.is_released())
            .finish()
    }
}

/// The reactor's pending watches.
#[derive(Default)]
pub(crate) struct Watchers {
    list: RefCell<Slab<Watcher>>,
    next_id: Cell<u64>,
}

struct Watcher {
    /// Which watch this is: a slot freed by a release may be taken by another watch meanwhile.
    id: u64,
    index: usize,
    generation: u32,
    waker: Waker,
}

impl Watchers {
    /// Keeps `waker` for `watch`. Returns true when the watch was not in the list yet.
    fn store(&self, watch: &ReleaseWatch, waker: &Waker) -> bool {
        let mut list = self.list.borrow_mut();
        if let Some(slot) = watch.slot.get() {
            if let Some(kept) = list.get_mut(slot).filter(|w| w.id == watch.id) {
                if !kept.waker.will_wake(waker) {
                    let old = std::mem::replace(&mut kept.waker, waker.clone());
                    drop(list);
                    drop(old);
                }
                return false;
            }
        }
        let slot = list.insert(Watcher {
            id: watch.id,
            index: watch.index,
            generation: watch.generation,
            waker: waker.clone(),
        });
        watch.slot.set(Some(slot));
        true
    }

    fn remove(&self, watch: &ReleaseWatch) {
        let Some(slot) = watch.slot.take() else {
            return;
        };
        let mut list = self.list.borrow_mut();
        let removed = match list.get(slot) {
            Some(w) if w.id == watch.id => Some(list.remove(slot)),
            _ => None,
        };
        drop(list);
        drop(removed);
    }

    /// Wakes (and forgets) the watches of a watched registration just released.
    pub(crate) fn released(&self, index: usize, generation: u32) {
        let woken: Vec<Watcher> = {
            let mut list = self.list.borrow_mut();
            let slots: Vec<usize> = list
                .iter()
                .filter(|(_, w)| w.index == index && w.generation == generation)
                .map(|(slot, _)| slot)
                .collect();
            slots.into_iter().map(|slot| list.remove(slot)).collect()
        };
        for watcher in woken {
            watcher.waker.wake();
        }
    }

    /// Forgets every watch, at the loop's shutdown; returns their wakers for the caller to drop.
    pub(crate) fn take_all(&self) -> Vec<Waker> {
        let list = std::mem::take(&mut *self.list.borrow_mut());
        list.into_iter().map(|(_, w)| w.waker).collect()
    }
}
