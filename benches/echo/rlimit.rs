//! Raising `RLIMIT_NOFILE`: a thousand connections need about a thousand
//! descriptors on each side, which a default soft limit of 1024 does not
//! leave room for.
//!
//! Rules: only the soft limit moves, up to the hard limit; it never goes
//! down. Driver and servers call it once, first thing, before any thread
//! starts.

use std::io;

/// Sets the soft `RLIMIT_NOFILE` to the hard limit.
pub fn raise_nofile() -> io::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid, writable `rlimit` that outlives the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `limit` is a valid `rlimit` read by the kernel during the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
