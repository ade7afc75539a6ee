//! What the guest keeps for a Lua state, owned by that state.
//!
//! All of it is one [`GuestState`], boxed, its pointer in the state's extra
//! space (`lua_getextraspace`: `LUA_EXTRASPACE` is one pointer).
//! [`GuestState::install`] puts it there right after `lua_newstate`, before
//! any thread exists: Lua copies the main thread's extra space into each
//! thread it makes, so a task's thread finds the same pointer.
//! [`GuestState::close`] frees it with its state: when `init` replaces the
//! prepared state, and when the host closes the sandbox (the `close`
//! export). A sandbox the host drops without closing keeps both until its
//! whole instance goes: one per instance, not a leak that grows.
//!
//! It is reached as `&GuestState` only, every field behind a `Cell` or
//! `RefCell`; a `RefCell` is borrowed only inside a closure that calls no
//! Lua, so no borrow is alive when Lua raises (see [`crate::stack`]).

use std::cell::{Cell, RefCell};
use std::ffi::c_int;

use mlua_sys::*;

use crate::console::{self, Warnings};
use crate::tasks::Scheduler;

/// The guest's data for one Lua state.
pub struct GuestState {
    /// The state of `warn` (see [`console::warning`]).
    pub warnings: RefCell<Warnings>,
    /// The registry references of the callbacks' interned names, by
    /// `sandbox::Callback` (`LUA_NOREF` until the libraries are open).
    pub callback_names: [Cell<c_int>; 3],
    /// Whether this is the state `prepare` made (every optional library
    /// open, no per-script options applied yet), waiting for the first
    /// `init`.
    pub prepared: Cell<bool>,
    /// The tasks of this sandbox.
    pub scheduler: RefCell<Scheduler>,
}

impl GuestState {
    fn new() -> Self {
        GuestState {
            warnings: RefCell::new(Warnings::default()),
            callback_names: [const { Cell::new(LUA_NOREF) }; 3],
            prepared: Cell::new(false),
            scheduler: RefCell::new(Scheduler::new()),
        }
    }

    /// Gives the new state `l` a `GuestState` of its own, and makes
    /// [`console::warning`] its warning function.
    ///
    /// # Safety
    /// `l` must be a main Lua state just made by `lua_newstate`, with no
    /// thread made yet.
    pub unsafe fn install(l: *mut lua_State) {
        let state = Box::into_raw(Box::new(GuestState::new()));
        // SAFETY: `l` is a valid main state (the caller's contract), whose
        // extra space is one pointer, aligned as Lua aligns the state.
        unsafe {
            lua_getextraspace(l).cast::<*mut GuestState>().write(state);
            lua_setwarnf(l, Some(console::warning), state.cast());
        }
    }

    /// The `GuestState` of the state `l` belongs to.
    ///
    /// # Safety
    /// `l` must be a thread of a state set up by [`GuestState::install`]
    /// and not closed; the reference must not outlive that state.
    pub unsafe fn of<'a>(l: *mut lua_State) -> &'a GuestState {
        // SAFETY: the extra space of `l` (copied from its main thread's)
        // holds the pointer `install` wrote, to a box alive until `close`.
        unsafe { &*lua_getextraspace(l).cast::<*const GuestState>().read() }
    }

    /// Closes the main state `l` and frees its `GuestState`.
    ///
    /// # Safety
    /// `l` must be a main state set up by [`GuestState::install`], running
    /// nothing; nothing may use it, or a reference [`GuestState::of`]
    /// gave, afterwards.
    pub unsafe fn close(l: *mut lua_State) {
        // SAFETY: `l` is a valid main state (the caller's contract); the
        // box is freed only after `lua_close`, which may still warn.
        unsafe {
            let state = lua_getextraspace(l).cast::<*mut GuestState>().read();
            lua_close(l);
            drop(Box::from_raw(state));
        }
    }
}
