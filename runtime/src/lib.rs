//! The per-thread executor and reactor of the mudu runtime.
