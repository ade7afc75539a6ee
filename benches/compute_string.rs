//! A string workload: concat, format, gsub, find with patterns.
mod support;

fn main() {
    support::compute_row(
        "compute_string",
        "compute: string concat/format/gsub/find",
        "function bench()
            local parts = {}
            for i = 1, 20000 do
                parts[#parts + 1] = string.format('item-%05d=%.2f;', i, i / 7)
            end
            local text = table.concat(parts)
            local count = 0
            for key, value in text:gmatch('(item%-%d+)=([%d%.]+);') do
                if value:find('^%d+%.5') then count = count + 1 end
            end
            local replaced = text:gsub('%d%d%d', function(d) return d:reverse() end)
            local s = ''
            for i = 1, 2000 do s = s .. (i % 10) end
            return count + #replaced + #s + (text:find('item%-19999', 1) or 0)
         end",
        11,
        1.5,
    );
}
