//! Crowds: the waits beyond the first on one direction of one source.
//!
//! Rules: a source's slot caches one waker per direction, for the wait that usually is there alone (a
//! connection's task reading its socket). Waits made through [`ReadyWait`](super::ReadyWait) (the
//! `&self` operations of I/O types: `readable`, `writable`, `peek`, `accept`, as well as `read` and
//! `write`) may be several on one direction at once, as tokio's are. A wait that finds the slot held
//! by another waiting task joins the direction's crowd instead of displacing it (a displaced waiter
//! would never be woken). Each crowd entry belongs to its wait, which leaves when it gets readiness or
//! is dropped, so a crowd holds exactly the waits that are pending: no bound, no stale wakers. An event
//! wakes the slot's waker and every entry of the crowd; the entries stay until their waits leave.
//! Crowd entries count as waiting tasks for the loop as the slot's waiter does: from when they
//! register until an event wakes them, and again when they poll, find no readiness and wait on. Loop thread only;
//! wakers are cloned, woken and dropped with no borrow held.
//!
//! ```text
//!   slot (index 7)                 crowds: HashMap<(index, direction), Slab<Waker>>
//!   reader: task A, waiting        (7, Read) -> {0: task B, 1: task C}    crowded bit Read in slot 7
//!   event on 7, readable: wake A, then B and C; B and C leave when their polls find readiness
//! ```

use super::ready::{Direction, ReadyEvent};
use super::scheduled_io::ScheduledIo;
use super::{shut_down_error, store_waker, Reactor};
use slab::Slab;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::task::Waker;

/// The crowds of one reactor, keyed by slot index and direction.
#[derive(Default)]
pub(crate) struct Crowds {
    crowds: RefCell<HashMap<(usize, Direction), Slab<Entry>>>,
    /// Wakers of waits put out of the slot by a poll that keeps no state ([`Reactor::poll_ready`]):
    /// woken once, by the next event, and then dropped. Their waits poll again and find their place.
    /// After a wait is put out, the slot stays waiting under a ticket no wait holds until the next
    /// event, so the list holds at most one waker per source and direction (a wait dropped after it
    /// was put out leaves its waker here until then).
    displaced: RefCell<HashMap<(usize, Direction), Vec<Waker>>>,
}

/// A wait's direction and where it is registered, in one word: it sits in every I/O future.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WaitAt {
    pub(crate) direction: Direction,
    place: Place,
    /// The ticket (in the slot) or the key (in the crowd).
    value: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Not polled yet, or it found readiness.
    Nowhere,
    /// In the slot, under the ticket `value`.
    Slot,
    /// In the direction's crowd, under the key `value`.
    Crowd,
}

impl WaitAt {
    /// A wait on `direction`, registered nowhere yet.
    pub(crate) fn new(direction: Direction) -> WaitAt {
        WaitAt {
            direction,
            place: Place::Nowhere,
            value: 0,
        }
    }

    /// Whether the wait is registered (its poll returned `Pending`).
    #[inline]
    pub(crate) fn is_pending(&self) -> bool {
        self.place != Place::Nowhere
    }

    #[inline]
    fn set(&mut self, place: Place, value: u32) {
        self.place = place;
        self.value = value;
    }
}

/// One wait of a crowd.
struct Entry {
    waker: Waker,
    /// Whether the loop counts the wait as a task blocked on I/O: from when it registers until an
    /// event wakes it (as for the slot's waiter), and again once it finds no readiness and waits on.
    counted: bool,
}

impl Crowds {
    fn join(&self, index: usize, direction: Direction, waker: Waker) -> u32 {
        let key = self
            .crowds
            .borrow_mut()
            .entry((index, direction))
            .or_default()
            .insert(Entry {
                waker,
                counted: true,
            });
        // A crowd of four billion waits is not a thing a loop can hold.
        u32::try_from(key).expect("too many waits on one source")
    }

    /// Entry `key` waits on: replaces its waker when it would not wake the same task, and counts it
    /// again if an event had stopped counting it. Returns whether it was counted again.
    fn refresh(&self, index: usize, direction: Direction, key: u32, waker: &Waker) -> bool {
        let key = key as usize;
        let (same, recounted) = {
            let mut crowds = self.crowds.borrow_mut();
            let Some(entry) = crowds
                .get_mut(&(index, direction))
                .and_then(|crowd| crowd.get_mut(key))
            else {
                return false;
            };
            (
                entry.waker.will_wake(waker),
                !std::mem::replace(&mut entry.counted, true),
            )
        };
        if !same {
            let fresh = waker.clone();
            let old = self
                .crowds
                .borrow_mut()
                .get_mut(&(index, direction))
                .and_then(|crowd| crowd.get_mut(key))
                .map(|entry| std::mem::replace(&mut entry.waker, fresh));
            drop(old);
        }
        recounted
    }

    /// Removes entry `key`: its waker (for the caller to drop with no borrow held), whether the
    /// crowd is empty now, and whether the entry was counted. `None` when the entry is gone (the
    /// loop shut down).
    fn leave(&self, index: usize, direction: Direction, key: u32) -> Option<(Waker, bool, bool)> {
        let mut crowds = self.crowds.borrow_mut();
        let crowd = crowds.get_mut(&(index, direction))?;
        let entry = crowd.try_remove(key as usize)?;
        let empty = crowd.is_empty();
        if empty {
            crowds.remove(&(index, direction));
        }
        Some((entry.waker, empty, entry.counted))
    }

    /// Keeps `waker`, put out of the slot of (`index`, `direction`), for the next event to wake.
    pub(crate) fn displace(&self, index: usize, direction: Direction, waker: Waker) {
        let mut displaced = self.displaced.borrow_mut();
        let list = displaced.entry((index, direction)).or_default();
        if list.iter().any(|w| w.will_wake(&waker)) {
            drop(displaced);
            drop(waker);
        } else {
            list.push(waker);
        }
    }

    /// Whether (`index`, `direction`) has a crowd entry or a displaced waker.
    fn has_any(&self, index: usize, direction: Direction) -> bool {
        self.crowds.borrow().contains_key(&(index, direction))
            || self.displaced.borrow().contains_key(&(index, direction))
    }

    /// Wakes every entry of the crowds of `crowded`, the slots and directions an event just reached,
    /// and their displaced wakers. The entries stay, each until its wait leaves, but are no longer
    /// counted as blocked on I/O until they wait again; the displaced go. Returns how many entries
    /// stopped being counted.
    pub(crate) fn wake(&self, crowded: &[(usize, u32, Direction)]) -> usize {
        let mut uncounted = 0;
        for &(index, _, direction) in crowded {
            let key = &(index, direction);
            let mut wakers: Vec<Waker> = Vec::new();
            if let Some(crowd) = self.crowds.borrow_mut().get_mut(key) {
                for (_, entry) in crowd.iter_mut() {
                    uncounted += usize::from(std::mem::replace(&mut entry.counted, false));
                    wakers.push(entry.waker.clone());
                }
            }
            wakers.extend(self.displaced.borrow_mut().remove(key).unwrap_or_default());
            for waker in wakers {
                waker.wake();
            }
        }
        uncounted
    }

    /// Takes the crowds of a released slot, for the caller to drop with no borrow held. (A slot is
    /// released only once its source is gone, and with it every wait, so there is none in practice.)
    /// Also returns how many of the entries were counted.
    pub(crate) fn release(&self, index: usize) -> (Vec<Waker>, usize) {
        let mut crowds = self.crowds.borrow_mut();
        let mut displaced = self.displaced.borrow_mut();
        let mut gone = Vec::new();
        let mut counted = 0;
        for direction in [Direction::Read, Direction::Write] {
            if let Some(crowd) = crowds.remove(&(index, direction)) {
                for (_, entry) in crowd {
                    counted += usize::from(entry.counted);
                    gone.push(entry.waker);
                }
            }
            gone.extend(displaced.remove(&(index, direction)).unwrap_or_default());
        }
        (gone, counted)
    }

    /// Takes every crowd (the loop is shutting down), for the caller to wake.
    pub(crate) fn take_all(&self) -> Vec<Waker> {
        let crowds = std::mem::take(&mut *self.crowds.borrow_mut());
        let displaced = std::mem::take(&mut *self.displaced.borrow_mut());
        crowds
            .into_values()
            .flat_map(|crowd| crowd.into_iter().map(|(_, entry)| entry.waker))
            .chain(displaced.into_values().flatten())
            .collect()
    }
}

impl Reactor {
    /// Polls one direction of a source for a wait that may share it: its readiness if any (the wait
    /// then leaves wherever it was), else the wait is registered (in the slot when free, or already
    /// its own; in the crowd otherwise) with the current waker. Inlined up to the two common cases:
    /// readiness found, and the wait of the task whose waker the free slot caches.
    ///
    /// `direction` is the wait's own (`at.direction`), passed apart so that a caller that matches on
    /// it gets this code with the direction a constant.
    #[inline]
    pub(crate) fn poll_wait(
        &self,
        index: usize,
        direction: Direction,
        waker: &Waker,
        at: &mut WaitAt,
    ) -> Option<io::Result<ReadyEvent>> {
        debug_assert_eq!(direction, at.direction);
        if !self.shut_down.get() && at.place != Place::Crowd {
            let mut ios = self.ios.borrow_mut();
            let io = &mut ios[index];
            if let Some(event) = io.ready_event(direction) {
                // In the slot, the event that brought the readiness already ended the wait.
                at.set(Place::Nowhere, 0);
                return Some(Ok(event));
            }
            if !io.is_waiting(direction)
                && io
                    .waker(direction)
                    .as_ref()
                    .is_some_and(|w| w.will_wake(waker))
            {
                self.take_slot(io, direction, at);
                return None;
            }
        }
        self.poll_wait_slow(index, waker, at)
    }

    /// [`poll_wait`](Self::poll_wait) for the other cases.
    #[inline(never)]
    fn poll_wait_slow(
        &self,
        index: usize,
        waker: &Waker,
        at: &mut WaitAt,
    ) -> Option<io::Result<ReadyEvent>> {
        let direction = at.direction;
        if self.shut_down.get() {
            return Some(Err(shut_down_error()));
        }
        let mut _replaced = None;
        let mut ios = self.ios.borrow_mut();
        let io = &mut ios[index];
        if let Some(event) = io.ready_event(direction) {
            drop(ios);
            let (place, key) = (at.place, at.value);
            at.set(Place::Nowhere, 0);
            if place == Place::Crowd {
                self.leave_crowd(index, direction, key);
            }
            return Some(Ok(event));
        }
        match at.place {
            Place::Crowd => {
                drop(ios);
                if self.crowds.refresh(index, direction, at.value, waker) {
                    self.waiters.set(self.waiters.get() + 1);
                }
                return None;
            }
            Place::Slot if at.value == io.ticket(direction) && io.is_waiting(direction) => {}
            Place::Slot | Place::Nowhere if io.is_waiting(direction) => {
                // Another wait holds the slot: join the crowd rather than displace it.
                io.crowded |= direction.bit();
                drop(ios);
                let key = self.crowds.join(index, direction, waker.clone());
                self.waiters.set(self.waiters.get() + 1);
                at.set(Place::Crowd, key);
                return None;
            }
            Place::Slot | Place::Nowhere => {
                self.take_slot(io, direction, at);
            }
        }
        let slot = io.waker(direction);
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            _replaced = store_waker(slot, waker);
        }
        None
    }

    /// The wait `at` takes the slot of its `direction`, which no task waits in: it waits there under a new
    /// ticket, and counts as blocked on I/O.
    #[inline]
    fn take_slot(&self, io: &mut ScheduledIo, direction: Direction, at: &mut WaitAt) {
        io.set_waiting(direction, true);
        io.set_held_by_wait(direction, true);
        self.waiters.set(self.waiters.get() + 1);
        at.set(Place::Slot, io.next_ticket(direction));
    }

    /// Clears `direction`'s crowded bit in `io` once neither a crowd entry nor a displaced waker is
    /// left there.
    pub(crate) fn uncrowd_if_empty(
        &self,
        io: &mut ScheduledIo,
        index: usize,
        direction: Direction,
    ) {
        if !self.crowds.has_any(index, direction) {
            io.crowded &= !direction.bit();
        }
    }

    /// A wait goes away (dropped while pending): it leaves the slot, if it still holds it and waits
    /// there, or its crowd entry. The slot keeps its cached waker for the next wait.
    pub(crate) fn end_wait(&self, index: usize, at: WaitAt) {
        let direction = at.direction;
        match at.place {
            Place::Nowhere => {}
            Place::Slot => {
                let mut ios = self.ios.borrow_mut();
                if let Some(io) = ios.get_mut(index) {
                    if io.ticket(direction) == at.value && io.is_waiting(direction) {
                        io.set_waiting(direction, false);
                        self.waiters.set(self.waiters.get() - 1);
                    }
                }
            }
            Place::Crowd => self.leave_crowd(index, direction, at.value),
        }
    }

    fn leave_crowd(&self, index: usize, direction: Direction, key: u32) {
        let Some((waker, empty, counted)) = self.crowds.leave(index, direction, key) else {
            return;
        };
        if counted {
            self.waiters.set(self.waiters.get() - 1);
        }
        if empty {
            if let Some(io) = self.ios.borrow_mut().get_mut(index) {
                self.uncrowd_if_empty(io, index, direction);
            }
        }
        drop(waker);
    }
}
