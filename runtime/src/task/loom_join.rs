//! Loom model of the join-waker handshake: the loop completing a task while its `JoinHandle`, on another
//! thread, polls it with the same waker or another one, and is dropped. The state transitions are the
//! real ones (state.rs); the waker slot's accesses restate those of raw.rs (`complete`,
//! `can_read_output`, `Header::drop_join_waker`, `dealloc`) and join_handle.rs (`Drop`) on a loom cell, so
//! that loom checks that no two parties touch the slot at once, and the counted wakers show that every
//! waker is dropped exactly once and the joiner is woken whenever it waits.

use super::state::{ListRef, State, COMPLETE, JOIN_INTEREST, JOIN_WAKER};
use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

/// A waker: `id` stands for `will_wake`; live copies and wakes are counted.
struct Token {
    id: usize,
    live: Arc<AtomicUsize>,
    wakes: Arc<AtomicUsize>,
}

impl Token {
    fn new(id: usize, live: &Arc<AtomicUsize>, wakes: &Arc<AtomicUsize>) -> Token {
        live.fetch_add(1, SeqCst);
        Token {
            id,
            live: live.clone(),
            wakes: wakes.clone(),
        }
    }

    fn copy(&self) -> Token {
        Token::new(self.id, &self.live, &self.wakes)
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        assert!(self.live.fetch_sub(1, SeqCst) > 0, "a waker dropped twice");
    }
}

/// The parts of a task cell the handshake touches.
struct Cell {
    state: State,
    slot: UnsafeCell<Option<Token>>,
}

// SAFETY: the handshake under test decides who touches the slot, and loom checks every access.
unsafe impl Sync for Cell {}
// SAFETY: as above; the tokens are `Send`.
unsafe impl Send for Cell {}

impl Cell {
    fn take_slot(&self) -> Option<Token> {
        // SAFETY: the caller owns the slot by the protocol; loom reports it otherwise.
        self.slot.with_mut(|slot| unsafe { (*slot).take() })
    }

    /// raw.rs `complete`, for a task whose output is stored.
    fn complete(&self) {
        let output_stored = self.state.load().has(JOIN_INTEREST);
        let (snapshot, list) = self.state.transition_to_complete(false, output_stored);
        if list != ListRef::Kept || !snapshot.has(JOIN_INTEREST) {
            return;
        }
        if snapshot.has(JOIN_WAKER) {
            // SAFETY: `JOIN_WAKER` is set: both sides may only read the slot.
            self.slot.with(|slot| {
                if let Some(token) = unsafe { &*slot } {
                    token.wakes.fetch_add(1, SeqCst);
                }
            });
            if !self
                .state
                .unset_join_waker_after_complete()
                .has(JOIN_INTEREST)
            {
                drop(self.take_slot());
            }
        }
    }

    /// raw.rs `can_read_output`: true when the handle may read the output now.
    fn poll_handle(&self, waker: &Token) -> bool {
        let snapshot = self.state.load();
        if snapshot.has(COMPLETE) {
            return true;
        }
        if snapshot.has(JOIN_WAKER) {
            // SAFETY: `JOIN_WAKER` is set: both sides may only read the slot.
            let same = self
                .slot
                .with(|slot| unsafe { &*slot }.as_ref().is_some_and(|w| w.id == waker.id));
            if same {
                return false;
            }
            if self.state.unset_join_waker().is_err() {
                return true;
            }
        }
        let fresh = waker.copy();
        // SAFETY: `JOIN_WAKER` is clear and the task is not complete: the slot is the handle's.
        let old = self.slot.with_mut(|slot| unsafe { (*slot).replace(fresh) });
        drop(old);
        if self.state.set_join_waker().is_err() {
            drop(self.take_slot());
            return true;
        }
        false
    }

    /// join_handle.rs `Drop`.
    fn drop_handle(&self) {
        match self.state.unset_join_interest() {
            Ok(()) => drop(self.take_slot()),
            Err(after) if !after.has(JOIN_WAKER) => drop(self.take_slot()),
            Err(_) => {}
        }
    }
}

/// One model: the handle has polled once with waker 0; then its thread polls with `poll_with` (if any)
/// while the loop completes the task, and drops the handle there too (`drop_there`) or after both are
/// done. What is left in the slot is then dropped, as `dealloc` does.
fn complete_while_the_handle(poll_with: Option<usize>, drop_there: bool) {
    loom::model(move || {
        let live = Arc::new(AtomicUsize::new(0));
        let wakes = Arc::new(AtomicUsize::new(0));
        let cell = Arc::new(Cell {
            state: State::new(false),
            slot: UnsafeCell::new(None),
        });
        let first = Token::new(0, &live, &wakes);
        assert!(!cell.poll_handle(&first));
        drop(first);

        let handle = {
            let (cell, live, wakes) = (cell.clone(), live.clone(), wakes.clone());
            thread::spawn(move || {
                let ready = poll_with.map(|id| {
                    let waker = Token::new(id, &live, &wakes);
                    cell.poll_handle(&waker)
                });
                if drop_there {
                    cell.drop_handle();
                }
                ready
            })
        };
        cell.complete();
        let ready = handle.join().unwrap();
        if !drop_there {
            // A handle that still waits when the task completes is woken.
            if ready != Some(true) {
                assert!(wakes.load(SeqCst) >= 1, "a waiting joiner was not woken");
            }
            cell.drop_handle();
        }
        drop(cell.take_slot());
        assert_eq!(
            live.load(SeqCst),
            0,
            "a waker was never dropped, or dropped twice"
        );
    });
}

#[test]
fn join_waker_handshake_with_a_dropped_handle() {
    complete_while_the_handle(None, true);
}

#[test]
fn join_waker_handshake_with_a_handle_that_waits() {
    complete_while_the_handle(None, false);
}

#[test]
fn join_waker_handshake_with_a_poll_by_the_same_waker() {
    complete_while_the_handle(Some(0), true);
    complete_while_the_handle(Some(0), false);
}

#[test]
fn join_waker_handshake_with_a_poll_by_another_waker() {
    complete_while_the_handle(Some(1), true);
    complete_while_the_handle(Some(1), false);
}
