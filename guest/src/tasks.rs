//! The `task` library: waiting across ticks on game time, and the callbacks
//! that run as tasks.
//!
//! A task is a Lua thread the scheduler owns (anchored in the registry): one
//! made by `task.spawn` or `task.delay`, or the thread a callback
//! (`on_start`, `on_update`, `on_event`) ran on when it called `task.wait`.
//! `task.wait` records when the task is due and yields; the host calls the
//! `resume` export for a script whose earliest wake time has come (the
//! guest tells it through `tasks.waiting`), and `resume` continues the
//! earliest due task: by wake time, then by when it began to wait. A task
//! waits at least until the next tick, so no tick runs one task twice.
//!
//! The scheduler lives in the state's [`GuestState`], borrowed only through
//! [`with`], whose closures call no Lua (see [`crate::stack`]).

use std::collections::BTreeMap;
use std::ffi::{CStr, c_int};

use mlua_sys::*;

use crate::errors;
use crate::exports::luabox::sandbox::script::{ErrorKind, ScriptError};
use crate::lua::{LUA_REGISTRYINDEX, lua_upvalueindex};
use crate::luabox::sandbox::tasks::{self, Clock};
use crate::stack::{check_stack, has_room, make_room, raise};
use crate::state::GuestState;

/// Float rounding in the sum of `dt` never costs a tick: a wait is over when
/// at most this much game time is missing.
const EPSILON: f64 = 1e-9;

/// How a waiting task continues.
#[derive(Clone, Copy)]
enum Start {
    /// Back from `task.wait`, which returns the game time that passed.
    Wait { started: f64 },
    /// A function given to `task.delay`, not started: its arguments (after
    /// it) wait on the thread's stack.
    Delayed { arguments: c_int },
}

/// When a waiting task is due.
#[derive(Clone, Copy)]
struct Waiting {
    /// The tick it began to wait in: it is due only in a later one.
    since_tick: u64,
    /// Its place in the queue: wake time, then this sequence number.
    key: (u64, u64),
    start: Start,
}

struct Task {
    thread: *mut lua_State,
    /// The thread's registry reference, which keeps it alive.
    reference: c_int,
    waiting: Option<Waiting>,
    /// `task.cancel` while it ran: it ends at its next wait.
    cancelled: bool,
}

/// Every task of a sandbox (kept in its [`GuestState`]).
pub struct Scheduler {
    tasks: BTreeMap<i64, Task>,
    by_thread: BTreeMap<usize, i64>,
    /// The waiting tasks in the order they come due.
    queue: BTreeMap<(u64, u64), i64>,
    next_id: i64,
    next_sequence: u64,
    max_tasks: usize,
    /// The thread callbacks run on while they do not wait, and its
    /// registry reference.
    spare: Option<(*mut lua_State, c_int)>,
    /// What was last told to the host: how many tasks wait, and the
    /// earliest wake time (as `order_key` bits).
    reported: (u32, Option<u64>),
}

/// Runs `f` on the scheduler of the state `l` belongs to. `f` must call no
/// Lua: the borrow lasts while it runs (see [`crate::stack`]).
///
/// # Safety
/// As [`GuestState::of`].
unsafe fn with<R>(l: *mut lua_State, f: impl FnOnce(&mut Scheduler) -> R) -> R {
    // SAFETY: the caller's contract.
    let state = unsafe { GuestState::of(l) };
    f(&mut state.scheduler.borrow_mut())
}

/// A `u64` that orders as the `f64` does (`f64::total_cmp`).
fn order_key(value: f64) -> u64 {
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

impl Scheduler {
    /// No tasks, none allowed until [`set_max_tasks`].
    pub fn new() -> Self {
        Scheduler {
            tasks: BTreeMap::new(),
            by_thread: BTreeMap::new(),
            queue: BTreeMap::new(),
            next_id: 1,
            next_sequence: 0,
            max_tasks: 0,
            spare: None,
            reported: (0, None),
        }
    }

    fn too_many(&self, what: &str) -> Option<String> {
        (self.tasks.len() >= self.max_tasks).then(|| {
            format!(
                "{what}: too many tasks (at most {} alive at once)",
                self.max_tasks
            )
        })
    }

    fn add(&mut self, thread: *mut lua_State, reference: c_int) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.tasks.insert(
            id,
            Task {
                thread,
                reference,
                waiting: None,
                cancelled: false,
            },
        );
        self.by_thread.insert(thread as usize, id);
        id
    }

    /// Forgets a task; returns its registry reference, to release.
    fn remove(&mut self, id: i64) -> Option<c_int> {
        let task = self.tasks.remove(&id)?;
        self.by_thread.remove(&(task.thread as usize));
        if let Some(waiting) = task.waiting {
            self.queue.remove(&waiting.key);
        }
        Some(task.reference)
    }

    fn wait(&mut self, id: i64, clock: Clock, seconds: f64, start: Start) {
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let wake = clock.time + seconds;
        let key = (order_key(wake), sequence);
        if let Some(task) = self.tasks.get_mut(&id) {
            if let Some(old) = task.waiting.take() {
                self.queue.remove(&old.key);
            }
            task.waiting = Some(Waiting {
                since_tick: clock.tick,
                key,
                start,
            });
            self.queue.insert(key, id);
        }
    }

    /// The first due task in queue order.
    fn due(&self, clock: Clock) -> Option<i64> {
        for (key, id) in &self.queue {
            if from_order_key(key.0) > clock.time + EPSILON {
                return None;
            }
            let task = self.tasks.get(id)?;
            if task.waiting.is_some_and(|w| w.since_tick < clock.tick) {
                return Some(*id);
            }
        }
        None
    }

    /// How many tasks wait and the earliest wake time, if either differs
    /// from what was last reported.
    fn waiting_change(&mut self) -> Option<(u32, Option<f64>)> {
        let count = u32::try_from(self.queue.len()).unwrap_or(u32::MAX);
        let now = (count, self.queue.keys().next().map(|key| key.0));
        if now == self.reported {
            return None;
        }
        self.reported = now;
        Some((count, now.1.map(from_order_key)))
    }
}

/// Sets the most tasks alive at once (from the script's options).
///
/// # Safety
/// As [`GuestState::of`].
pub unsafe fn set_max_tasks(l: *mut lua_State, max: u32) {
    // SAFETY: the caller's contract.
    unsafe { with(l, |scheduler| scheduler.max_tasks = max as usize) };
}

/// Tells the host how many tasks wait and when the earliest is due, if that
/// changed. Every export that may have changed the queue ends with this.
///
/// # Safety
/// As [`GuestState::of`].
pub unsafe fn report(l: *mut lua_State) {
    // SAFETY: the caller's contract.
    if let Some((count, wake_at)) = unsafe { with(l, Scheduler::waiting_change) } {
        tasks::waiting(count, wake_at);
    }
}

/// Releases a thread's registry reference.
///
/// # Safety
/// `l` must be a thread of the state whose registry holds `reference`.
unsafe fn release(l: *mut lua_State, reference: Option<c_int>) {
    if let Some(reference) = reference {
        // SAFETY: the caller's contract; freeing a reference pushes nothing
        // and allocates nothing.
        unsafe { luaL_unref(l, LUA_REGISTRYINDEX, reference) };
    }
}

/// The error a stretch of a task ended in, described on `l` (the thread
/// that resumed it) with the task's traceback; the task's thread is left
/// for the caller to release.
///
/// # Safety
/// `l` must be the main thread, not running any function, that resumed
/// `thread`, which ended in an error (its object on top of its stack).
unsafe fn stretch_error(
    l: *mut lua_State,
    thread: *mut lua_State,
    status: c_int,
    what: &str,
) -> ScriptError {
    // SAFETY: the caller's contract; room is made on `l` for the traceback's
    // protected call and the error object moved over; building the
    // traceback runs under `lua_pcall`.
    unsafe {
        // Room for the traceback (lauxlib builds it on the stack) and the error.
        if let Err(error) = make_room(l, LUA_MINSTACK) {
            return error;
        }
        errors::save_traceback_of(l, thread);
        lua_xmove(thread, l, 1);
        errors::describe(l, status, lua_gettop(l), what)
    }
}

/// What a stretch of a task (from a resume to its next wait or its end)
/// came to.
enum Stretch {
    /// It waits (in the queue) or ended; nothing to report.
    Done,
    /// It yielded outside `task.wait`, or raised: the error object (or
    /// message) to report; the task has been forgotten, its thread not yet
    /// released.
    Failed(Option<c_int>),
}

/// Settles the task `id` after `lua_resume` returned `status`: keeps it if
/// it waits, forgets it if it ended, was cancelled or failed.
///
/// # Safety
/// As [`GuestState::of`].
unsafe fn settle(l: *mut lua_State, id: i64, status: c_int) -> (Stretch, Option<c_int>) {
    // SAFETY: the caller's contract.
    unsafe {
        with(l, |scheduler| {
            let waits = scheduler
                .tasks
                .get(&id)
                .is_some_and(|task| task.waiting.is_some() && !task.cancelled);
            match status {
                LUA_YIELD if waits => (Stretch::Done, None),
                LUA_YIELD => {
                    let cancelled = scheduler.tasks.get(&id).is_some_and(|task| task.cancelled);
                    let reference = scheduler.remove(id);
                    if cancelled {
                        (Stretch::Done, reference)
                    } else {
                        (Stretch::Failed(reference), None)
                    }
                }
                LUA_OK => (Stretch::Done, scheduler.remove(id)),
                _ => (Stretch::Failed(scheduler.remove(id)), None),
            }
        })
    }
}

/// Settles task `id` (its thread `thread`) after a stretch ended in
/// `status`, and describes the error it failed with, if it did.
///
/// # Safety
/// `l` must be the thread that resumed `thread`.
unsafe fn finish_stretch(
    l: *mut lua_State,
    thread: *mut lua_State,
    id: i64,
    status: c_int,
    what: &str,
) -> Result<(), ScriptError> {
    // SAFETY: the caller's contract; the reference is released only after
    // the error is described from the thread it keeps alive.
    unsafe {
        match settle(l, id, status) {
            (Stretch::Done, reference) => {
                release(l, reference);
                Ok(())
            }
            (Stretch::Failed(reference), _) => {
                let error = if status == LUA_YIELD {
                    stray_yield(l, thread, what)
                } else {
                    stretch_error(l, thread, status, what)
                };
                release(l, reference);
                Err(error)
            }
        }
    }
}

/// The message for a task that yielded without `task.wait`: what Lua says
/// for a yield outside a coroutine.
const STRAY_YIELD: &str = "coroutine.yield outside a coroutine of the script's own: a task \
                           cannot yield to the host (it waits with task.wait)";

/// The error for a task (or callback) `thread` that yielded outside
/// `task.wait`: the line that yielded, then [`STRAY_YIELD`], with the
/// thread's traceback.
///
/// # Safety
/// `l` must be the main thread, not running any function, that resumed
/// `thread`, which is suspended.
unsafe fn stray_yield(l: *mut lua_State, thread: *mut lua_State, what: &str) -> ScriptError {
    // SAFETY: the caller's contract; room is made on `l` for the
    // traceback's protected call; `frame` is plain data Lua fills, and
    // `short_src` is NUL-terminated.
    unsafe {
        // Room for the traceback (lauxlib builds it on the stack) and the error.
        if let Err(error) = make_room(l, LUA_MINSTACK) {
            return error;
        }
        errors::save_traceback_of(l, thread);
        // Level 0 is `coroutine.yield` itself; level 1 called it.
        let mut frame: lua_Debug = std::mem::zeroed();
        let message = if lua_getstack(thread, 1, &mut frame) != 0
            && lua_getinfo(thread, c"Sl".as_ptr(), &mut frame) != 0
            && frame.currentline > 0
        {
            let source = CStr::from_ptr(frame.short_src.as_ptr()).to_string_lossy();
            format!("{source}:{}: {STRAY_YIELD}", frame.currentline)
        } else {
            STRAY_YIELD.to_string()
        };
        errors::describe_message(l, LUA_ERRRUN, message, what)
    }
}

/// Whether the thread callbacks run on exists (see
/// [`make_callback_thread`]).
///
/// # Safety
/// As [`GuestState::of`].
pub unsafe fn has_callback_thread(l: *mut lua_State) -> bool {
    // SAFETY: the caller's contract.
    unsafe { with(l, |scheduler| scheduler.spare.is_some()) }
}

/// Makes the thread callbacks run on, if there is none (the last one
/// waited, and became a task, or failed).
///
/// # Safety
/// `l` must be the sandbox's main Lua state running a C function under
/// protection (making a thread may raise: out of memory).
pub unsafe fn make_callback_thread(l: *mut lua_State) {
    // SAFETY: the caller's contract: raising is allowed, and room is made
    // for the thread, which `luaL_ref` pops; the scheduler is borrowed only
    // once both are done.
    unsafe {
        if has_callback_thread(l) {
            return;
        }
        check_stack(l, 1, c"task");
        let thread = lua_newthread(l);
        let reference = luaL_ref(l, LUA_REGISTRYINDEX);
        with(l, |scheduler| scheduler.spare = Some((thread, reference)));
    }
}

/// Runs a callback as a task: the function and its `arguments` are on top
/// of `l`'s stack, and [`make_callback_thread`] made the thread to run it
/// on. A callback that waits becomes a task; `Ok` either way.
///
/// # Safety
/// `l` must be the sandbox's main Lua state, holding only the function and
/// its arguments.
pub unsafe fn run_callback(
    l: *mut lua_State,
    what: &str,
    arguments: c_int,
) -> Result<(), ScriptError> {
    // SAFETY: the caller's contract; room is made on the thread for what
    // moves over; the callback runs under `lua_resume`, and errors are
    // described on `l` between calls.
    unsafe {
        let Some((thread, _)) = with(l, |scheduler| scheduler.spare) else {
            lua_settop(l, 0);
            return Err(errors::guest_error(
                ErrorKind::Runtime,
                format!("{what}: no thread to run it on"),
            ));
        };
        if let Err(error) = make_room(thread, arguments + 1) {
            lua_settop(l, 0);
            return Err(error);
        }
        lua_xmove(l, thread, arguments + 1);
        let mut results = 0;
        let status = lua_resume(thread, l, arguments, &mut results);
        // A callback that waited was made a task by `task.wait`, which took
        // the thread; otherwise it is still the spare.
        let spare = with(l, |scheduler| {
            scheduler
                .spare
                .filter(|(spare, _)| *spare == thread)
                .map(|(_, reference)| reference)
        });
        let outcome = match spare {
            // Still the spare: the callback returned, raised, or yielded
            // outside `task.wait`; a spare that failed is let go.
            Some(reference) => {
                let outcome = match status {
                    LUA_OK => Ok(()),
                    LUA_YIELD => Err(stray_yield(l, thread, what)),
                    _ => Err(stretch_error(l, thread, status, what)),
                };
                if outcome.is_ok() {
                    lua_settop(thread, 0);
                } else {
                    with(l, |scheduler| scheduler.spare = None);
                    release(l, Some(reference));
                }
                outcome
            }
            // It waited, so it is a task now (a running task is never
            // removed, only marked cancelled).
            None => match with(l, |scheduler| {
                scheduler.by_thread.get(&(thread as usize)).copied()
            }) {
                Some(id) => finish_stretch(l, thread, id, status, what),
                None if status == LUA_OK || status == LUA_YIELD => Ok(()),
                None => Err(stretch_error(l, thread, status, what)),
            },
        };
        lua_settop(l, 0);
        report(l);
        outcome
    }
}

/// Wraps `coroutine.resume` and `coroutine.close` so they refuse a task's
/// thread (which `coroutine.running()` hands out): a task resumes when its
/// wait is over and stops with `task.cancel`, so a script can neither cut
/// a wait short nor leave the scheduler a dead thread.
///
/// # Safety
/// `l` must be the sandbox's main Lua state, with the coroutine library
/// open (or absent) and no script run yet, running a C function under
/// protection.
pub unsafe fn guard_coroutine_library(l: *mut lua_State) {
    // SAFETY: the caller's contract; room is made for the library table,
    // the function wrapped and its closure.
    unsafe {
        check_stack(l, 2, c"coroutine");
        if lua_getglobal(l, c"coroutine".as_ptr()) == LUA_TTABLE {
            let guards: [(&CStr, lua_CFunction); 2] =
                [(c"resume", guarded_resume), (c"close", guarded_close)];
            for (name, guard) in guards {
                lua_getfield(l, -1, name.as_ptr());
                lua_pushcclosure(l, guard, 1);
                lua_setfield(l, -2, name.as_ptr());
            }
        }
        lua_pop(l, 1);
    }
}

/// `coroutine.resume(co, ...)`, refusing a task's thread.
unsafe extern "C-unwind" fn guarded_resume(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // library's function as upvalue 1.
    unsafe {
        call_unless_task(
            l,
            "coroutine.resume: a task resumes when its wait is over, not by coroutine.resume",
        )
    }
}

/// `coroutine.close(co)`, refusing a task's thread.
unsafe extern "C-unwind" fn guarded_close(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with the
    // library's function as upvalue 1.
    unsafe { call_unless_task(l, "coroutine.close: a task stops with task.cancel") }
}

/// Raises `refusal` when argument 1 is a task's thread, else calls the
/// library's own function (upvalue 1) with the arguments.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection,
/// with a function as upvalue 1.
unsafe fn call_unless_task(l: *mut lua_State, refusal: &'static str) -> c_int {
    // SAFETY: the caller's contract; room is made for the function, which
    // is moved below the arguments and called with them.
    unsafe {
        check_stack(l, 1, c"coroutine");
        let thread = lua_tothread(l, 1);
        if !thread.is_null()
            && with(l, |scheduler| {
                scheduler.by_thread.contains_key(&(thread as usize))
            })
        {
            raise(l, refusal.to_string());
        }
        let arguments = lua_gettop(l);
        lua_pushvalue(l, lua_upvalueindex(1));
        lua_rotate(l, 1, 1);
        lua_call(l, arguments, LUA_MULTRET);
        lua_gettop(l)
    }
}

/// Resumes the earliest due task; `None` when none is due, else whether
/// another one is due now.
///
/// # Safety
/// `l` must be the sandbox's main Lua state, not running any function.
pub unsafe fn resume(l: *mut lua_State) -> Result<Option<bool>, ScriptError> {
    // SAFETY: the caller's contract; room is made on the task's thread for
    // what it is resumed with; the task runs under `lua_resume`, and its
    // reference is released only after its error is described.
    unsafe {
        lua_settop(l, 0);
        let clock = tasks::now();
        let next = with(l, |scheduler| {
            let id = scheduler.due(clock)?;
            let task = scheduler.tasks.get_mut(&id)?;
            let waiting = task.waiting.take()?;
            scheduler.queue.remove(&waiting.key);
            Some((id, task.thread, waiting.start))
        });
        let Some((id, thread, start)) = next else {
            report(l);
            return Ok(None);
        };
        let arguments = match start {
            Start::Delayed { arguments } => arguments,
            Start::Wait { started } => {
                if let Err(error) = make_room(thread, 1) {
                    release(l, with(l, |scheduler| scheduler.remove(id)));
                    report(l);
                    return Err(error);
                }
                lua_pushnumber(thread, clock.time - started);
                1
            }
        };
        let mut results = 0;
        let status = lua_resume(thread, l, arguments, &mut results);
        let outcome = finish_stretch(l, thread, id, status, "task");
        lua_settop(l, 0);
        let more = with(l, |scheduler| scheduler.due(clock).is_some());
        report(l);
        outcome.map(|()| Some(more))
    }
}

/// The task the running thread is, making the callback thread a task if
/// it is that; or why it cannot wait.
///
/// # Safety
/// As [`GuestState::of`].
unsafe fn current_task(l: *mut lua_State) -> Result<i64, String> {
    // SAFETY: the caller's contract.
    unsafe {
        with(l, |scheduler| {
            if let Some(id) = scheduler.by_thread.get(&(l as usize)) {
                return Ok(*id);
            }
            match scheduler.spare {
                Some((spare, reference)) if spare == l => {
                    if let Some(refusal) = scheduler.too_many("task.wait") {
                        return Err(refusal);
                    }
                    scheduler.spare = None;
                    Ok(scheduler.add(spare, reference))
                }
                _ => Err(
                    "task.wait: only a task can wait: on_start, on_update, on_event, or a \
                      function given to task.spawn or task.delay (not the main chunk, a \
                      function the host calls by name, or a coroutine of the script's own)"
                        .into(),
                ),
            }
        })
    }
}

/// Seconds from argument `index`: a number (nil or absent: 0); negative
/// counts as 0, NaN is refused.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection.
unsafe fn seconds(l: *mut lua_State, index: c_int, what: &str) -> f64 {
    // SAFETY: the caller's contract: `luaL_checknumber` and `raise` may
    // raise there.
    unsafe {
        if lua_isnoneornil(l, index) != 0 {
            return 0.0;
        }
        let seconds = luaL_checknumber(l, index);
        if seconds.is_nan() {
            raise(l, format!("{what}: seconds is NaN"));
        }
        seconds.max(0.0)
    }
}

/// `task.wait([seconds])`: suspends the task until at least `seconds` of
/// game time have passed, and at least until the next tick; returns the
/// game time that passed.
unsafe extern "C-unwind" fn wait(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, on a
    // thread of the sandbox; it pushes nothing. The scheduler's borrows end
    // before it raises or yields; the refusal message is moved into `raise`.
    unsafe {
        let seconds = seconds(l, 1, "task.wait");
        let is_task = with(l, |scheduler| {
            scheduler.by_thread.contains_key(&(l as usize))
                || scheduler.spare.is_some_and(|(spare, _)| spare == l)
        });
        if is_task && lua_isyieldable(l) == 0 {
            raise(
                l,
                "task.wait: cannot wait inside a function called from C (such as a \
                 table.sort comparator or a gsub callback)"
                    .into(),
            );
        }
        let id = match current_task(l) {
            Ok(id) => id,
            Err(message) => raise(l, message),
        };
        let clock = tasks::now();
        with(l, |scheduler| {
            let started = clock.time;
            scheduler.wait(id, clock, seconds, Start::Wait { started });
        });
        lua_yield(l, 0)
    }
}

/// A new task's thread, anchored, holding the function and the `arguments`
/// above it, moved from the top of `l`'s stack; its id. Raises when too
/// many tasks are alive, or when the new thread's stack has no room for
/// that many arguments.
///
/// # Safety
/// `l` must be running a C function called from Lua, under protection, on
/// a thread of the sandbox, with the function and `arguments` on top.
unsafe fn new_task(l: *mut lua_State, what: &str, arguments: c_int) -> (i64, *mut lua_State) {
    // SAFETY: the caller's contract; room is made on `l` for the new
    // thread and on the thread for what moves over. The thread is anchored
    // (`luaL_ref`) before the scheduler records it.
    unsafe {
        check_stack(l, 1, c"task");
        if let Some(refusal) = with(l, |scheduler| scheduler.too_many(what)) {
            raise(l, refusal);
        }
        let thread = lua_newthread(l);
        // A new thread has room for 40 values; the function and its
        // arguments may be up to Lua's stack limit.
        if !has_room(thread, arguments + 1) {
            lua_pop(l, 1);
            raise(
                l,
                format!("{what}: no room for {arguments} arguments on the new task's stack"),
            );
        }
        let reference = luaL_ref(l, LUA_REGISTRYINDEX);
        lua_xmove(l, thread, arguments + 1);
        (
            with(l, |scheduler| scheduler.add(thread, reference)),
            thread,
        )
    }
}

/// `task.spawn(f, ...)`: runs `f(...)` now as a new task, until it ends or
/// waits; returns the task's id. An error in that first stretch is raised
/// here.
unsafe extern "C-unwind" fn spawn(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, on a
    // thread of the sandbox; `new_task` leaves the stack emptied of the
    // function and its arguments, so there is room for the error object or
    // the id. The reference is released before any raise.
    unsafe {
        luaL_checktype(l, 1, LUA_TFUNCTION);
        let arguments = lua_gettop(l) - 1;
        let (id, thread) = new_task(l, "task.spawn", arguments);
        let mut results = 0;
        let status = lua_resume(thread, l, arguments, &mut results);
        match settle(l, id, status) {
            (Stretch::Done, reference) => release(l, reference),
            (Stretch::Failed(reference), _) => {
                if status == LUA_YIELD {
                    release(l, reference);
                    raise(l, STRAY_YIELD.into());
                }
                // The error object, as it was raised.
                lua_xmove(thread, l, 1);
                release(l, reference);
                lua_error(l);
            }
        }
        lua_pushinteger(l, id);
        1
    }
}

/// `task.delay(seconds, f, ...)`: runs `f(...)` as a new task once
/// `seconds` of game time have passed (at least until the next tick);
/// returns the task's id.
unsafe extern "C-unwind" fn delay(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, on a
    // thread of the sandbox; `new_task` takes the function and its
    // arguments, leaving room for the id.
    unsafe {
        let seconds = seconds(l, 1, "task.delay");
        luaL_checktype(l, 2, LUA_TFUNCTION);
        let arguments = lua_gettop(l) - 2;
        let (id, _) = new_task(l, "task.delay", arguments);
        let clock = tasks::now();
        with(l, |scheduler| {
            scheduler.wait(id, clock, seconds, Start::Delayed { arguments })
        });
        lua_pushinteger(l, id);
        1
    }
}

/// `task.cancel(id)`: stops a task: a waiting one never resumes, a running
/// one ends at its next wait. Returns whether the task was alive.
unsafe extern "C-unwind" fn cancel(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, on a
    // thread of the sandbox; room is made for the result.
    unsafe {
        check_stack(l, 1, c"task.cancel");
        let id = luaL_checkinteger(l, 1);
        let (alive, reference) = with(l, |scheduler| match scheduler.tasks.get_mut(&id) {
            None => (false, None),
            Some(task) if task.waiting.is_some() => (true, scheduler.remove(id)),
            Some(task) => {
                task.cancelled = true;
                (true, None)
            }
        });
        release(l, reference);
        lua_pushboolean(l, c_int::from(alive));
        1
    }
}

/// The `task` functions, for `ecs::set_library`.
pub const TASK_FUNCTIONS: &[(&std::ffi::CStr, lua_CFunction)] = &[
    (c"wait", wait),
    (c"spawn", spawn),
    (c"delay", delay),
    (c"cancel", cancel),
];
