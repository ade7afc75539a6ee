-- attack: integer division by zero is an error
-- expect: runtime
return 1 // 0
