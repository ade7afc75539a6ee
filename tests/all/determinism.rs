//! The same script gives the same output and uses the same fuel, every run.

use crate::support::run;

#[test]
fn the_same_script_twice_gives_the_same_output_and_fuel() {
    let source = r#"
        local t = {}
        for i = 1, 200 do t["key" .. i] = i end
        local order = {}
        for k in pairs(t) do order[#order + 1] = k end
        print(table.concat(order, ","))
        print(math.random(), math.random(1, 100))
        local items = {}
        for i = 1, 100 do items[i] = (i * 7919) % 101 end
        table.sort(items, function(a, b) return a > b end)
        print(table.concat(items, " "))
        print(tostring({}):match("^table: ") ~= nil, collectgarbage("count") > 0)
    "#;
    let first = run(source);
    let second = run(source);
    first.value();
    assert_eq!(first.output, second.output);
    assert_eq!(first.instance.fuel_used(), second.instance.fuel_used());
    assert!(first.instance.fuel_used() > 0);
}
