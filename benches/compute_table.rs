//! A table workload: insert, sort with a comparator, iterate.
mod support;

fn main() {
    support::compute_row(
        "compute_table",
        "compute: table insert/sort/iterate",
        "function bench()
            local t, seed = {}, 42
            for i = 1, 100000 do
                seed = (seed * 1103515245 + 12345) % 2147483648
                table.insert(t, {id = i, key = seed})
            end
            table.sort(t, function(a, b) return a.key < b.key end)
            local sum = 0
            for i, item in ipairs(t) do sum = sum + item.key % 7 end
            for k, v in pairs(t[1]) do sum = sum + #k end
            return sum
         end",
        11,
        1.5,
    );
}
