-- attack: a query over unknown names is refused
-- expect: runtime
function on_update() ecs.query("Position", "Velocity", "Nope") end
