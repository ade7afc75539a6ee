//! The Lua state and the libraries a script gets.
//!
//! Base (without `dofile`/`loadfile`; `print` and `load` replaced; Lua's own
//! `collectgarbage`, every option: the memory cap contains a stopped
//! collector), `table`, `string` (without `dump`), `math`, `coroutine`, `utf8`,
//! and a `debug` table holding only `traceback`. `os`, `io`, `package` and
//! the rest of `debug` are never opened: their code is not even linked.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_int};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use mlua_sys::*;

use crate::lua::{LUA_REGISTRYINDEX, lua_upvalueindex};

use crate::allocator::lua_alloc;
use crate::errors;
use crate::exports::luabox::sandbox::script::{ErrorKind, Libraries, Options, ScriptError};
use crate::stack::{check_stack, make_room};
use crate::state::GuestState;
use crate::{libc_shims, tasks, value};

/// This instance's Lua state (one script per instance; null until
/// `prepare` or `init`): the one root the exports start from. Everything
/// else the guest keeps for it hangs off the state ([`GuestState`]).
static STATE: AtomicPtr<lua_State> = AtomicPtr::new(ptr::null_mut());

/// Registry key under which `init` keeps the recursion limit for the hook:
/// the address is the key (`lua_rawsetp`), the same for every state.
static DEPTH_LIMIT_KEY: u8 = 0;

fn state() -> Result<*mut lua_State, ScriptError> {
    let state = STATE.load(Ordering::Relaxed);
    if state.is_null() {
        Err(errors::guest_error(
            ErrorKind::Runtime,
            "the sandbox was not initialised".into(),
        ))
    } else {
        Ok(state)
    }
}

/// The callbacks a script system calls every tick, each with the registry
/// reference (`luaL_ref`) of its interned name, made with the state and kept
/// in its [`GuestState`]: a call finds the function without hashing the name
/// again.
#[derive(Clone, Copy)]
enum Callback {
    Start,
    Update,
    Event,
}

impl Callback {
    const ALL: [Callback; 3] = [Callback::Start, Callback::Update, Callback::Event];

    fn name(self) -> &'static str {
        match self {
            Callback::Start => "on_start",
            Callback::Update => "on_update",
            Callback::Event => "on_event",
        }
    }

    /// Where the state `l` keeps the reference of this callback's name.
    ///
    /// # Safety
    /// As [`GuestState::of`].
    unsafe fn reference<'a>(self, l: *mut lua_State) -> &'a Cell<c_int> {
        // SAFETY: the caller's contract.
        let state = unsafe { GuestState::of(l) };
        &state.callback_names[self as usize]
    }
}

/// Closes the script's state as `lua_close` does, running its pending
/// finalizers (in protected calls: an error in one is a warning), and
/// forgets it; later calls find no state. Does nothing without a state.
pub fn close() {
    let l = STATE.swap(ptr::null_mut(), Ordering::Relaxed);
    if !l.is_null() {
        // SAFETY: a state in `STATE` was made by `new_state`, with its
        // `GuestState`, and runs nothing between calls; it was taken out of
        // `STATE` first, so nothing reaches it once it is closed.
        unsafe { GuestState::close(l) };
    }
}

/// Pre-initialisation, run once when the host snapshots the guest: creates
/// the Lua state with every optional library, so a sandbox starting from the
/// snapshot skips the work. Does nothing if a state exists.
pub fn prepare() {
    if !STATE.load(Ordering::Relaxed).is_null() {
        return;
    }
    if let Ok(l) = new_state(Libraries::all()) {
        // SAFETY: `new_state` made `l` with its `GuestState`.
        unsafe { GuestState::of(l) }.prepared.set(true);
        STATE.store(l, Ordering::Relaxed);
    }
}

/// Sets up the Lua state for one script: reuses the prepared state when it
/// has exactly the libraries asked for, else makes a new one; then applies
/// the per-script options. All Lua work runs under protection, so running
/// out of memory here is an ordinary `memory` error.
pub fn init(options: Options) -> Result<(), ScriptError> {
    libc_shims::set_seed(options.seed);
    let existing = STATE.load(Ordering::Relaxed);
    // SAFETY: a state in `STATE` was made by `new_state`, with its
    // `GuestState`, and is never closed while it is there.
    let prepared = !existing.is_null() && unsafe { GuestState::of(existing) }.prepared.take();
    let l = if prepared && options.libraries == Libraries::all() {
        existing
    } else if existing.is_null() || prepared {
        if prepared {
            // SAFETY: the prepared state has run no script code, runs
            // nothing now, and is forgotten before anything else runs.
            unsafe { GuestState::close(existing) };
            STATE.store(ptr::null_mut(), Ordering::Relaxed);
        }
        let l = new_state(options.libraries)?;
        STATE.store(l, Ordering::Relaxed);
        l
    } else {
        return Err(errors::guest_error(
            ErrorKind::Runtime,
            "the sandbox is already initialised".into(),
        ));
    };
    // SAFETY: `l` was made by `new_state`, with its `GuestState`.
    unsafe { tasks::set_max_tasks(l, options.max_tasks) };
    // SAFETY: a valid state between calls, with room for the function and
    // its three arguments (`make_room`); `configure` runs under `lua_pcall`.
    unsafe {
        make_room(l, 4)?;
        lua_pushcfunction(l, configure);
        lua_pushinteger(l, options.seed as lua_Integer);
        lua_pushinteger(l, lua_Integer::from(options.max_recursion_depth));
        match options.entity {
            Some(entity) => lua_pushinteger(l, entity as lua_Integer),
            None => lua_pushnil(l),
        }
        let status = lua_pcall(l, 3, 0, 0);
        if status != LUA_OK {
            return Err(errors::describe(l, status, lua_gettop(l), "init"));
        }
    }
    Ok(())
}

/// A new Lua state with `libraries` open and its [`GuestState`] installed.
fn new_state(libraries: Libraries) -> Result<*mut lua_State, ScriptError> {
    // SAFETY: a state this function just made, its `GuestState` installed
    // before any thread exists; a new state has `LUA_MINSTACK` free slots
    // for the function and its argument, and opening the libraries (the
    // only part that can raise) runs inside `lua_pcall`.
    unsafe {
        let l = lua_newstate(lua_alloc, ptr::null_mut());
        if l.is_null() {
            return Err(errors::guest_error(
                ErrorKind::Memory,
                "not enough memory".into(),
            ));
        }
        lua_atpanic(l, panic_handler);
        GuestState::install(l);
        lua_pushcfunction(l, open_libraries);
        lua_pushinteger(l, lua_Integer::from(libraries.bits()));
        let status = lua_pcall(l, 1, 0, 0);
        if status != LUA_OK {
            return Err(errors::describe(l, status, lua_gettop(l), "init"));
        }
        Ok(l)
    }
}

/// Compiles `source` as a text chunk named `name` and runs it.
pub fn run(name: &str, source: &[u8]) -> Result<Vec<u8>, ScriptError> {
    let l = state()?;
    let chunk_name = CString::new(format!("@{}", name.replace('\0', "?")))
        .unwrap_or_else(|_| CString::from(c"@?"));
    // SAFETY: the state is valid, between calls; `prepare_call` leaves
    // room for the chunk; the only call that can raise (the chunk itself)
    // runs under `lua_pcall`; loading is protected by Lua.
    unsafe {
        let handler = prepare_call(l);
        let status = luaL_loadbufferx(
            l,
            source.as_ptr().cast(),
            source.len(),
            chunk_name.as_ptr(),
            c"t".as_ptr(),
        );
        drop(chunk_name);
        if status != LUA_OK {
            return Err(errors::describe(l, status, lua_gettop(l), name));
        }
        let status = lua_pcall(l, 0, LUA_MULTRET, handler);
        if status != LUA_OK {
            return Err(errors::describe(l, status, lua_gettop(l), name));
        }
        encoded_results(l, handler, name)
    }
}

/// Empties the stack and pushes the message handler; returns its index.
/// (No traceback is left over from an earlier call: describing an error
/// takes it.)
///
/// # Safety
/// `l` must be the main Lua state, not running any function. It leaves
/// `LUA_MINSTACK - 1` free slots: the main thread's frame has
/// `LUA_MINSTACK`, and the stack is emptied first.
unsafe fn prepare_call(l: *mut lua_State) -> c_int {
    // SAFETY: the caller's contract; one push into an emptied frame.
    unsafe {
        lua_settop(l, 0);
        lua_pushcfunction(l, errors::message_handler);
        lua_gettop(l)
    }
}

/// The name of a global function to call: text, or a callback whose name
/// the registry holds.
#[derive(Clone, Copy)]
enum Global<'a> {
    Named(&'a str),
    Callback(Callback),
}

impl Global<'_> {
    fn name(&self) -> &str {
        match self {
            Global::Named(name) => name,
            Global::Callback(callback) => callback.name(),
        }
    }

    /// Pushes the name as a Lua string.
    ///
    /// # Safety
    /// `l` must be a thread of the sandbox's state, with room for one
    /// value. A callback's interned name pushes without allocating; any
    /// other may raise (out of memory), so only under protection.
    unsafe fn push(&self, l: *mut lua_State) {
        // SAFETY: the caller's contract; the reference was made in this
        // state's registry (`open_libraries`).
        unsafe {
            match self {
                Global::Named(name) => {
                    lua_pushlstring(l, name.as_ptr().cast(), name.len());
                }
                Global::Callback(callback) => {
                    let reference = callback.reference(l).get();
                    if reference == LUA_NOREF
                        || lua_rawgeti(l, LUA_REGISTRYINDEX, lua_Integer::from(reference))
                            != LUA_TSTRING
                    {
                        if reference != LUA_NOREF {
                            lua_pop(l, 1);
                        }
                        let name = callback.name();
                        lua_pushlstring(l, name.as_ptr().cast(), name.len());
                    }
                }
            }
        }
    }
}

/// Pushes the global `function` if it is a function (looked up raw: a
/// metatable on _G must not run here, unprotected); else pushes nothing and
/// returns false.
///
/// # Safety
/// `l` must be a thread of the sandbox's state with room for two values;
/// under protection unless the name pushes without allocating (see
/// [`Global::push`]).
unsafe fn push_global_function(l: *mut lua_State, function: Global<'_>) -> bool {
    // SAFETY: the caller's contract: the globals table and the name, then
    // the function in the name's place. A raw lookup runs no metamethod.
    unsafe {
        lua_rawgeti(l, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
        function.push(l);
        lua_rawget(l, -2);
        lua_remove(l, -2);
        if lua_type(l, -1) == LUA_TFUNCTION {
            return true;
        }
        lua_pop(l, 1);
        false
    }
}

/// What setting up a call found (see [`push_function_and_arguments`]).
enum Setup {
    /// The script defines no such function.
    NoFunction,
    /// The function and this many arguments are on the stack.
    Pushed(c_int),
    /// The arguments could not be pushed, for this reason.
    BadArguments(String),
}

/// What [`setup_call`] works from: the function to find, what pushes its
/// arguments, and what it found.
struct CallSetup<'a, F> {
    function: Global<'a>,
    push_arguments: Option<F>,
    outcome: Setup,
}

/// Pushes the global function and its arguments as its [`CallSetup`]
/// (argument 1, a light userdata) says, and returns them; records what it
/// found in the setup. Runs under `lua_pcall`: decoding arguments
/// allocates, and a script that filled its memory must get Lua's "not
/// enough memory", not a sandbox stopped by an error outside any protected
/// call.
unsafe extern "C-unwind" fn setup_call<F>(l: *mut lua_State) -> c_int
where
    F: FnOnce(*mut lua_State) -> Result<c_int, String>,
{
    // SAFETY: `push_function_and_arguments` calls this under `lua_pcall`,
    // passing a pointer to its own live `CallSetup<F>` (nothing else calls
    // it), and the frame has room for the globals table and the name;
    // `push_arguments` makes room for what it pushes. Nothing of the setup
    // that needs dropping is owned by this frame: it stays with the caller.
    unsafe {
        let setup = &mut *lua_touserdata(l, 1).cast::<CallSetup<'_, F>>();
        lua_settop(l, 0);
        check_stack(l, 2, c"call");
        if !push_global_function(l, setup.function) {
            setup.outcome = Setup::NoFunction;
            return 0;
        }
        let Some(push_arguments) = setup.push_arguments.take() else {
            setup.outcome = Setup::Pushed(0);
            return 1;
        };
        let top = lua_gettop(l);
        match push_arguments(l) {
            Ok(count) => {
                setup.outcome = Setup::Pushed(count);
                count + 1
            }
            Err(error) => {
                // Nothing of a failed setup is returned (the function too).
                lua_settop(l, top - 1);
                setup.outcome = Setup::BadArguments(error);
                0
            }
        }
    }
}

/// Whether pushing a call's function and arguments may allocate, and so
/// raise (out of memory).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pushing {
    /// It may (a name to push, arguments to decode, a thread to make):
    /// under protection.
    Allocates,
    /// It cannot (a callback, its name interned, its thread made, numbers
    /// for arguments): no protected call needed, which spares the cheapest
    /// calls (`on_update`) a C call and a `pcall`.
    NothingNew,
}

/// Pushes the global `function` and the arguments `push_arguments` pushes
/// (it returns how many, or why it could not), under protection when that
/// may allocate (see [`setup_call`]): the argument count, or `None` when
/// the script defines no such function. On `None` or an error the stack is
/// left as it was.
///
/// # Safety
/// `l` must be a valid Lua state, not running any function (the main
/// thread between calls); `push_arguments` makes room for what it pushes.
/// With [`Pushing::NothingNew`], nothing the setup does may allocate.
unsafe fn push_function_and_arguments<F>(
    l: *mut lua_State,
    function: Global<'_>,
    pushing: Pushing,
    push_arguments: F,
) -> Result<Option<c_int>, ScriptError>
where
    F: FnOnce(*mut lua_State) -> Result<c_int, String>,
{
    // SAFETY: the caller's contract: the main thread between calls. Room is
    // made before pushing; with `NothingNew` nothing pushed allocates, so
    // nothing raises outside the protected call. `setup` outlives the
    // protected call that uses its pointer.
    unsafe {
        // The function (with the globals table and its name while it is
        // looked up), or the protected setup's function and pointer.
        make_room(l, 3)?;
        let base = lua_gettop(l);
        let bad_arguments = |error: String| {
            errors::guest_error(
                ErrorKind::Runtime,
                format!("bad arguments for {}: {error}", function.name()),
            )
        };
        if pushing == Pushing::NothingNew {
            if !push_global_function(l, function) {
                return Ok(None);
            }
            return match push_arguments(l) {
                Ok(count) => Ok(Some(count)),
                Err(error) => {
                    lua_settop(l, base);
                    Err(bad_arguments(error))
                }
            };
        }
        let mut setup = CallSetup {
            function,
            push_arguments: Some(push_arguments),
            outcome: Setup::NoFunction,
        };
        lua_pushcfunction(l, setup_call::<F>);
        lua_pushlightuserdata(l, ptr::from_mut(&mut setup).cast());
        let status = lua_pcall(l, 1, LUA_MULTRET, 0);
        if status != LUA_OK {
            let error = errors::describe(l, status, lua_gettop(l), function.name());
            lua_settop(l, base);
            return Err(error);
        }
        match setup.outcome {
            Setup::Pushed(count) => Ok(Some(count)),
            Setup::NoFunction => {
                lua_settop(l, base);
                Ok(None)
            }
            Setup::BadArguments(error) => {
                lua_settop(l, base);
                Err(bad_arguments(error))
            }
        }
    }
}

/// Calls the global `function`, if the script defines it, with the arguments
/// `push_arguments` pushes (it returns how many, or why it could not). What
/// the function returned is left on the stack above the returned handler
/// index; `None` when there is no such function.
///
/// # Safety
/// `l` must be a valid Lua state, not running any function.
unsafe fn call_global(
    l: *mut lua_State,
    function: Global<'_>,
    push_arguments: impl FnOnce(*mut lua_State) -> Result<c_int, String>,
) -> Result<Option<c_int>, ScriptError> {
    // SAFETY: the caller's contract; the arguments are pushed under
    // protection and the function runs under `lua_pcall`.
    unsafe {
        let handler = prepare_call(l);
        let pushed = push_function_and_arguments(l, function, Pushing::Allocates, push_arguments);
        let Some(argument_count) = pushed.inspect_err(|_| lua_settop(l, 0))? else {
            lua_settop(l, 0);
            return Ok(None);
        };
        let status = lua_pcall(l, argument_count, LUA_MULTRET, handler);
        if status != LUA_OK {
            return Err(errors::describe(l, status, lua_gettop(l), function.name()));
        }
        Ok(Some(handler))
    }
}

/// Calls the global function `function` with the MessagePack array `args`;
/// `None` when there is no such function.
pub fn call(function: &str, args: &[u8]) -> Result<Option<Vec<u8>>, ScriptError> {
    let l = state()?;
    // SAFETY: the sandbox's state, between calls (`call_global`).
    unsafe {
        match call_global(l, Global::Named(function), |l| value::push_items(l, args))? {
            Some(handler) => encoded_results(l, handler, function).map(Some),
            None => Ok(None),
        }
    }
}

/// Runs a callback, whose results nobody reads, as a task (see
/// [`tasks::run_callback`]); empties the stack. `arguments` says whether
/// pushing them allocates.
fn callback(
    function: Callback,
    arguments: Pushing,
    push_arguments: impl FnOnce(*mut lua_State) -> Result<c_int, String>,
) -> Result<(), ScriptError> {
    let l = state()?;
    // SAFETY: a valid state, between calls. The thread the callback runs on
    // is made (if need be) with its arguments, under protection: making it
    // allocates.
    unsafe {
        lua_settop(l, 0);
        let pushing = if tasks::has_callback_thread(l) {
            arguments
        } else {
            Pushing::Allocates
        };
        let with_thread = |l| {
            tasks::make_callback_thread(l);
            push_arguments(l)
        };
        match push_function_and_arguments(l, Global::Callback(function), pushing, with_thread)? {
            Some(arguments) => tasks::run_callback(l, function.name(), arguments),
            None => Ok(()),
        }
    }
}

/// Resumes the earliest due task (see [`tasks::resume`]).
pub fn resume() -> Result<Option<bool>, ScriptError> {
    let l = state()?;
    // SAFETY: the sandbox's main state, between calls.
    unsafe { tasks::resume(l) }
}

/// Tells the host how many tasks wait, if that changed (see
/// [`tasks::report`]); nothing before there is a state.
pub fn report_tasks() {
    let l = STATE.load(Ordering::Relaxed);
    if !l.is_null() {
        // SAFETY: a state in `STATE` was made by `new_state`, with its
        // `GuestState`.
        unsafe { tasks::report(l) }
    }
}

/// `on_start()`, if defined.
pub fn start() -> Result<(), ScriptError> {
    callback(Callback::Start, Pushing::NothingNew, |_| Ok(0))
}

/// `on_update(dt)`, if defined.
pub fn update(dt: f64) -> Result<(), ScriptError> {
    callback(Callback::Update, Pushing::NothingNew, |l| {
        // SAFETY: room for one (`push_function_and_arguments` makes three:
        // the function takes one); a number allocates nothing.
        unsafe { lua_pushnumber(l, dt) };
        Ok(1)
    })
}

/// `on_event(name, payload, sender)`, if defined; `payload` is MessagePack,
/// `sender` the emitting script's entity (nil for the engine).
pub fn event(name: &str, payload: &[u8], sender: Option<u64>) -> Result<(), ScriptError> {
    callback(Callback::Event, Pushing::Allocates, |l| {
        // SAFETY: a C function's frame (`setup_call`), so it may raise (out
        // of memory), which `setup_call`'s protected call catches; room is
        // made for three (decoding makes its own). The only Rust values
        // alive are borrowed.
        unsafe {
            check_stack(l, 3, c"on_event");
            lua_pushlstring(l, name.as_ptr().cast(), name.len());
            value::push_value(l, payload)?;
            match sender {
                Some(entity) => lua_pushinteger(l, entity as lua_Integer),
                None => lua_pushnil(l),
            }
        }
        Ok(3)
    })
}

/// The values above `handler` on the stack (what a call returned) as
/// MessagePack, or the error that they cannot be encoded; the stack is
/// emptied.
///
/// # Safety
/// `l` must be a valid Lua state with `handler` a valid index.
unsafe fn encoded_results(
    l: *mut lua_State,
    handler: c_int,
    what: &str,
) -> Result<Vec<u8>, ScriptError> {
    // SAFETY: the caller's contract: the results are the valid indices
    // above `handler`; encoding cannot raise.
    unsafe {
        let results = value::encode_results(l, handler + 1, lua_gettop(l));
        lua_settop(l, 0);
        results.map_err(|error| {
            errors::guest_error(
                ErrorKind::Runtime,
                format!("{what}: cannot return its results: {error}"),
            )
        })
    }
}

/// Lua calls this only for an error outside any protected call, which the
/// glue never makes; stop the instance rather than continue in a bad state.
unsafe extern "C-unwind" fn panic_handler(_l: *mut lua_State) -> c_int {
    std::process::abort()
}

/// The optional libraries, in the order they open.
const OPTIONAL_LIBRARIES: [(Libraries, &CStr, lua_CFunction); 5] = [
    (Libraries::TABLE, c"table", luaopen_table),
    (Libraries::STRING, c"string", luaopen_string),
    (Libraries::MATH, c"math", luaopen_math),
    (Libraries::COROUTINE, c"coroutine", luaopen_coroutine),
    (Libraries::UTF8, c"utf8", luaopen_utf8),
];

/// Opens the chosen libraries and trims them.
/// Arguments: seed, depth limit, library flags, entity (or nil).
unsafe extern "C-unwind" fn open_libraries(l: *mut lua_State) -> c_int {
    // SAFETY: `new_state` calls this under `lua_pcall` on a state with its
    // `GuestState`. Room is made for the most it holds at once (lauxlib's
    // `luaL_requiref` and the debug library's steps push three or four).
    unsafe {
        let chosen = Libraries::from_bits_truncate(lua_tointeger(l, 1) as u8);
        lua_settop(l, 0);
        check_stack(l, 8, c"init");

        luaL_requiref(l, c"_G".as_ptr(), luaopen_base, 1);
        lua_pop(l, 1);
        for (flag, name, open) in OPTIONAL_LIBRARIES {
            if chosen.contains(flag) {
                luaL_requiref(l, name.as_ptr(), open, 1);
                lua_pop(l, 1);
            }
        }

        if chosen.contains(Libraries::COROUTINE) {
            crate::tasks::guard_coroutine_library(l);
        }
        for name in [c"dofile", c"loadfile"] {
            lua_pushnil(l);
            lua_setglobal(l, name.as_ptr());
        }
        for callback in Callback::ALL {
            let name = callback.name();
            lua_pushlstring(l, name.as_ptr().cast(), name.len());
            let reference = luaL_ref(l, LUA_REGISTRYINDEX);
            callback.reference(l).set(reference);
        }
        lua_pushcfunction(l, crate::console::print);
        lua_setglobal(l, c"print".as_ptr());
        crate::ecs::open(l);
        // `load` keeps Lua's implementation (readers, chunk names, custom
        // environments) but always in text mode: see `load_text_only`.
        lua_getglobal(l, c"load".as_ptr());
        lua_pushcclosure(l, load_text_only, 1);
        lua_setglobal(l, c"load".as_ptr());

        if chosen.contains(Libraries::STRING) {
            lua_getglobal(l, c"string".as_ptr());
            lua_pushnil(l);
            lua_setfield(l, -2, c"dump".as_ptr());
            lua_pop(l, 1);
        }

        // debug: only `traceback`.
        lua_pushcfunction(l, luaopen_debug);
        lua_call(l, 0, 1);
        lua_getfield(l, -1, c"traceback".as_ptr());
        lua_createtable(l, 0, 1);
        lua_insert(l, -2);
        lua_setfield(l, -2, c"traceback".as_ptr());
        lua_setglobal(l, c"debug".as_ptr());
        lua_pop(l, 1);

        0
    }
}

/// The per-script options, applied before any script code runs: the global
/// `entity` (argument 3), `math.random` seeded from the host's seed
/// (argument 1), and the recursion-depth hook (argument 2, 0 for none).
unsafe extern "C-unwind" fn configure(l: *mut lua_State) -> c_int {
    // SAFETY: `init` calls this under `lua_pcall` with its three arguments,
    // before any script code runs; room is made for the math table, its
    // function and the seed.
    unsafe {
        check_stack(l, 3, c"init");
        let seed = lua_tointeger(l, 1);
        let depth_limit = lua_tointeger(l, 2);
        lua_settop(l, 3);
        lua_setglobal(l, c"entity".as_ptr());
        lua_settop(l, 0);

        // No script has run yet, so `math` is still the library's own table.
        if lua_getglobal(l, c"math".as_ptr()) == LUA_TTABLE {
            lua_getfield(l, -1, c"randomseed".as_ptr());
            lua_pushinteger(l, seed);
            lua_call(l, 1, 0);
        }
        lua_pop(l, 1);

        if depth_limit > 0 {
            lua_pushinteger(l, depth_limit);
            lua_rawsetp(l, LUA_REGISTRYINDEX, ptr::from_ref(&DEPTH_LIMIT_KEY).cast());
            lua_sethook(l, Some(depth_hook), LUA_MASKCALL, 0);
        }
        0
    }
}

/// Call hook used only when the host sets `max_recursion_depth`: refuses a
/// call that would nest deeper than the limit.
unsafe extern "C-unwind" fn depth_hook(l: *mut lua_State, _ar: *mut lua_Debug) {
    // SAFETY: Lua calls this hook on a thread of the sandbox, where raising
    // is allowed (a call in progress, under protection); room is made for
    // the limit, then the message; `frame` is plain data.
    unsafe {
        check_stack(l, 1, c"hook");
        lua_rawgetp(l, LUA_REGISTRYINDEX, ptr::from_ref(&DEPTH_LIMIT_KEY).cast());
        let limit = lua_tointeger(l, -1);
        lua_pop(l, 1);
        let mut frame: lua_Debug = std::mem::zeroed();
        if limit > 0 && lua_getstack(l, limit as c_int, &mut frame) != 0 {
            lua_pushfstring(
                l,
                c"stack overflow (more than %d nested calls)".as_ptr(),
                limit as c_int,
            );
            lua_error(l);
        }
    }
}

/// `load(chunk [, chunkname [, mode [, env]]])`: Lua's own `load` (upvalue
/// 1), called with mode forced to "t" so `lua_load` itself refuses binary
/// chunks, whatever the script asked for.
unsafe extern "C-unwind" fn load_text_only(l: *mut lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function, under protection, with Lua's
    // `load` as upvalue 1; room is made for the three arguments the call
    // gets and the function.
    unsafe {
        check_stack(l, 4, c"load");
        luaL_checkany(l, 1);
        if lua_gettop(l) < 3 {
            lua_settop(l, 3);
        }
        lua_pushstring(l, c"t".as_ptr());
        lua_replace(l, 3);
        lua_pushvalue(l, lua_upvalueindex(1));
        lua_insert(l, 1);
        lua_call(l, lua_gettop(l) - 1, LUA_MULTRET);
        lua_gettop(l)
    }
}
