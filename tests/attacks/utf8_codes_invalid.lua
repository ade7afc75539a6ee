-- attack: utf8.codes on invalid input is an error
-- expect: runtime
for p, c in utf8.codes("ab\xff") do end
