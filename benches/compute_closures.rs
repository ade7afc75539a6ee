//! Closures, metatables (`__index`, `__add`, `__call`) and coroutines.
mod support;

fn main() {
    support::compute_row(
        "compute_closures",
        "compute: closures/metatables/coroutines",
        "local Vec = {}
         Vec.__index = Vec
         Vec.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, Vec) end
         function Vec.len2(v) return v.x * v.x + v.y * v.y end
         local function counter()
             local n = 0
             return function(step) n = n + step return n end
         end
         function bench()
             local acc = setmetatable({x = 0, y = 0}, Vec)
             for i = 1, 100000 do
                 acc = acc + setmetatable({x = i, y = -i}, Vec)
             end
             local total = 0
             for i = 1, 20000 do
                 local c = counter()
                 c(i) total = total + c(1)
             end
             local gen = coroutine.wrap(function()
                 for i = 1, 50000 do coroutine.yield(i) end
             end)
             for i = 1, 50000 do total = total + gen() end
             local callable = setmetatable({}, {__call = function(self, v) return v + 1 end})
             for i = 1, 50000 do total = callable(total) end
             return acc:len2() + total
         end",
        11,
        1.5,
    );
}
