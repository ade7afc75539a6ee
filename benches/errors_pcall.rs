//! `pcall(error, x)` in a loop: Lua errors are wasm exceptions in luabox.
mod support;

fn main() {
    support::compute_row(
        "errors_pcall",
        "errors: 100k pcall(error, i)",
        "function bench()
        local caught = 0
        for i = 1, 100000 do
            if not pcall(error, i) then caught = caught + 1 end
        end
        return caught
    end",
        11,
        3.0,
    );
}
