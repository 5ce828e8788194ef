//! The handler tasks of a server with no pool, so that dropping `serve` ends them.
//!
//! Rules: loop thread only (the `serve` future owns it, and so do the tasks' guards through a weak
//! reference). Each task removes its own entry when it ends, however it ends, so the set holds only
//! live connections and stays as large as they are. Dropping the set aborts every task still in it;
//! their futures, and the connections inside them, drop on the loop's next turn.

use mudu_runtime::JoinHandle;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::{Rc, Weak};

type Tasks = RefCell<HashMap<u64, JoinHandle<()>>>;

/// The live handler tasks of one `serve` call.
pub(crate) struct Handlers {
    tasks: Rc<Tasks>,
    next_id: u64,
}

impl Handlers {
    pub(crate) fn new() -> Handlers {
        Handlers {
            tasks: Rc::new(RefCell::new(HashMap::new())),
            next_id: 0,
        }
    }

    /// Spawns `handler` on the current loop and keeps its handle until it ends.
    pub(crate) fn spawn(&mut self, handler: impl Future<Output = ()> + 'static) {
        let id = self.next_id;
        self.next_id += 1;
        let leave = Leave {
            tasks: Rc::downgrade(&self.tasks),
            id,
        };
        let task = mudu_runtime::spawn(async move {
            let _leave = leave;
            handler.await;
        });
        // A spawn on a loop that is shutting down drops the future at once: nothing to keep then.
        if !task.is_finished() {
            self.tasks.borrow_mut().insert(id, task);
        }
    }

    /// Handler tasks still running.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.tasks.borrow().len()
    }
}

impl Drop for Handlers {
    fn drop(&mut self) {
        // Taken out first: an abort may drop a future (and its `Leave`) while this runs.
        let tasks = std::mem::take(&mut *self.tasks.borrow_mut());
        for task in tasks.into_values() {
            task.abort();
        }
    }
}

/// Owned by a handler task's future: removes the task's entry when the future ends or is dropped.
struct Leave {
    tasks: Weak<Tasks>,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        let Some(tasks) = self.tasks.upgrade() else {
            return;
        };
        // Borrowed only while the set itself is being dropped, which empties it anyway.
        let handle = match tasks.try_borrow_mut() {
            Ok(mut tasks) => tasks.remove(&self.id),
            Err(_) => None,
        };
        drop(handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn tasks_leave_the_set_when_they_end() {
        mudu_runtime::block_on(async {
            let mut handlers = Handlers::new();
            for _ in 0..3 {
                handlers.spawn(async {});
            }
            handlers.spawn(std::future::pending());
            assert_eq!(handlers.len(), 4);
            mudu_runtime::task::yield_now().await;
            assert_eq!(handlers.len(), 1, "only the pending one is left");
        });
    }

    #[test]
    fn dropping_the_set_drops_the_futures_of_its_tasks() {
        struct Flag(Rc<Cell<bool>>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        mudu_runtime::block_on(async {
            let dropped = Rc::new(Cell::new(false));
            let mut handlers = Handlers::new();
            let flag = Flag(Rc::clone(&dropped));
            handlers.spawn(async move {
                let _flag = flag;
                std::future::pending::<()>().await;
            });
            mudu_runtime::task::yield_now().await;
            assert!(!dropped.get());
            drop(handlers);
            mudu_runtime::task::yield_now().await;
            assert!(dropped.get());
        });
    }
}
