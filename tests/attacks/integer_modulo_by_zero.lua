-- attack: integer modulo by zero is an error
-- expect: runtime
return 1 % 0
