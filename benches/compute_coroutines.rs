//! A coroutine resume/yield loop: each yield is a wasm exception in luabox.
mod support;

fn main() {
    support::compute_row(
        "compute_coroutines",
        "compute: 100k coroutine resume/yield",
        "function bench()
        local producer = coroutine.wrap(function()
            local i = 0
            while true do i = i + 1 coroutine.yield(i) end
        end)
        local sum = 0
        for _ = 1, 100000 do sum = sum + producer() end
        return sum
    end",
        11,
        2.0,
    );
}
