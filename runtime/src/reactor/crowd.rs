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

/// How many wakers a crowd holds before it is cleared out. A crowd grows only by distinct waiters
/// polling between two events, and the waker of a future dropped while waiting stays until the next
/// event, so without a bound a socket that stays idle while ever new tasks give up waiting on it would
/// collect their wakers. A full crowd is woken whole and emptied, and its bound doubles until the next
/// event: the waiters that still wait poll and join again, once, and the gone ones leave for good.
/// (Waking only the oldest to make room would let more live waiters than the bound wake each other
/// without end.)
const CROWD_MAX: usize = 1024;

/// The crowds of one reactor, keyed by slot index and direction.
#[derive(Default)]
pub(crate) struct Crowds {
    crowds: RefCell<HashMap<(usize, Direction), Crowd>>,
}

/// The wakers waiting beside a slot's cached one, and how many it takes before it is cleared out.
struct Crowd {
    wakers: Vec<Waker>,
    bound: usize,
}

impl Crowds {
    /// Adds `waker` to the crowd of (`index`, `direction`), unless a waker there wakes the same task.
    pub(crate) fn join(&self, index: usize, direction: Direction, waker: &Waker) {
        let fresh = waker.clone();
        let (unused, cleared) = {
            let mut crowds = self.crowds.borrow_mut();
            let crowd = crowds.entry((index, direction)).or_insert_with(|| Crowd {
                wakers: Vec::new(),
                bound: CROWD_MAX,
            });
            if crowd.wakers.iter().any(|w| w.will_wake(&fresh)) {
                (Some(fresh), Vec::new())
            } else if crowd.wakers.len() >= crowd.bound {
                crowd.bound = crowd.bound.saturating_mul(2);
                let cleared = std::mem::take(&mut crowd.wakers);
                crowd.wakers.push(fresh);
                (None, cleared)
            } else {
                crowd.wakers.push(fresh);
                (None, Vec::new())
            }
        };
        drop(unused);
        for waker in cleared {
            waker.wake();
        }
    }

    /// Wakes and empties the crowds of `crowded`: the slots and directions an event just reached.
    pub(crate) fn wake(&self, crowded: &[(usize, Direction)]) {
        for key in crowded {
            let crowd = self.crowds.borrow_mut().remove(key);
            for waker in crowd.into_iter().flat_map(|crowd| crowd.wakers) {
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
            .flat_map(|crowd| crowd.wakers)
            .collect()
    }

    /// Takes every crowd (the loop is shutting down), for the caller to wake.
    pub(crate) fn take_all(&self) -> Vec<Waker> {
        let crowds = std::mem::take(&mut *self.crowds.borrow_mut());
        crowds
            .into_values()
            .flat_map(|crowd| crowd.wakers)
            .collect()
    }
}
