//! Crowds: the tasks beyond the first that wait on one direction of one source.
//!
//! Rules: a source's slot caches one waker per direction, for the task that usually waits there alone
//! (a connection's task reading its socket). The `&self` operations of I/O types (`readable`,
//! `writable`, `peek`, `accept`) let several tasks wait on one direction at once, as tokio's do. A
//! waiter whose waker would not wake the cached one, while that one waits, joins the direction's crowd
//! instead of displacing it: a displaced waiter would never be woken, and waking it when displaced
//! would let two waiters displace each other without end. An event that wakes the slot's waiter wakes
//! the crowd too and empties it; a woken waiter that finds the readiness taken polls again and takes
//! the slot or joins again. Loop thread only; wakers are cloned, woken and dropped with no borrow held.
//!
//! ```text
//!   slot (index 7)             crowds: HashMap<(index, direction), Vec<Waker>>
//!   reader: task A, waiting    (7, Read)  -> [task B, task C]      crowded bit Read set in slot 7
//!   writer: -                  event on 7, readable: wake A, then B and C; the crowd is emptied
//! ```

use super::ready::Direction;
use std::cell::RefCell;
use std::collections::HashMap;
use std::task::Waker;

/// The most wakers one crowd holds. A crowd grows only by distinct waiters polling between two events,
/// and the waker of a future dropped while waiting stays until the next event, so without a bound a
/// socket that stays idle while ever new tasks give up waiting on it would collect their wakers. Past
/// the bound the oldest is woken and let go: if it still waits, it polls and joins again.
const CROWD_MAX: usize = 1024;

/// The crowds of one reactor, keyed by slot index and direction.
#[derive(Default)]
pub(crate) struct Crowds {
    crowds: RefCell<HashMap<(usize, Direction), Vec<Waker>>>,
}

impl Crowds {
    /// Adds `waker` to the crowd of (`index`, `direction`), unless a waker there wakes the same task.
    pub(crate) fn join(&self, index: usize, direction: Direction, waker: &Waker) {
        let fresh = waker.clone();
        let (unused, evicted) = {
            let mut crowds = self.crowds.borrow_mut();
            let crowd = crowds.entry((index, direction)).or_default();
            if crowd.iter().any(|w| w.will_wake(&fresh)) {
                (Some(fresh), None)
            } else {
                let evicted = (crowd.len() >= CROWD_MAX).then(|| crowd.remove(0));
                crowd.push(fresh);
                (None, evicted)
            }
        };
        drop(unused);
        if let Some(oldest) = evicted {
            oldest.wake();
        }
    }

    /// Wakes and empties the crowds of `crowded`: the slots and directions an event just reached.
    pub(crate) fn wake(&self, crowded: &[(usize, Direction)]) {
        for key in crowded {
            let crowd = self.crowds.borrow_mut().remove(key);
            for waker in crowd.into_iter().flatten() {
                waker.wake();
            }
        }
    }

    /// Takes the crowds of a released slot, for the caller to drop with no borrow held.
    pub(crate) fn leave(&self, index: usize) -> Vec<Waker> {
        let mut crowds = self.crowds.borrow_mut();
        [Direction::Read, Direction::Write]
            .into_iter()
            .filter_map(|direction| crowds.remove(&(index, direction)))
            .flatten()
            .collect()
    }

    /// Takes every crowd (the loop is shutting down), for the caller to wake.
    pub(crate) fn take_all(&self) -> Vec<Waker> {
        let crowds = std::mem::take(&mut *self.crowds.borrow_mut());
        crowds.into_values().flatten().collect()
    }
}
