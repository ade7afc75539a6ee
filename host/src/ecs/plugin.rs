//! luabox in a bevy `App` (feature `bevy`).

use bevy_app::{App, Plugin, Update};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::world::World;
use bevy_time::Time;

use crate::ecs::log::ScriptConsole;
use crate::ecs::manager::ScriptManager;
use crate::ecs::registry::ComponentRegistry;
use crate::ecs::runner::{ScriptClock, ScriptDelta, ScriptRunner};
use crate::sandbox::engine::ScriptEngine;

/// Adds luabox to a bevy `App`: the [`ScriptManager`] (with the engine
/// given), the [`ComponentRegistry`] (the plugin's, with the components
/// registered on it), the [`ScriptConsole`] and the [`ScriptClock`]
/// resources, and a system in `Update`, in the set [`ScriptSystems`], that
/// ticks every script with `dt` from bevy's `Time` (from [`ScriptDelta`],
/// else 1/60 s, when the app has no `TimePlugin`). Order a game's systems
/// against the set (`.before(ScriptSystems)`: what the scripts should see
/// this frame; `.after(ScriptSystems)`: what they wrote); attach scripts from
/// a system with [`ScriptRunner::attach_command`].
///
/// ```
/// use bevy_app::App;
/// use bevy_ecs::prelude::*;
/// use luabox::ScriptEngine;
/// use luabox::ecs::{LuaboxPlugin, Permissions, ScriptRunner};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Component, Serialize, Deserialize)]
/// struct Position { x: f64, y: f64 }
///
/// let mut app = App::new();
/// app.add_plugins(
///     LuaboxPlugin::new(ScriptEngine::new(Default::default())?).register::<Position>("Position"),
/// );
/// let world = app.world_mut();
/// let player = world.spawn(Position { x: 0.0, y: 0.0 }).id();
/// let source = "function on_update(dt) local p = ecs.get(entity, 'Position')
///               ecs.insert(entity, 'Position', {x = p.x + 1, y = p.y}) end";
/// let permissions = Permissions::default().read(["Position"]).write(["Position"]);
/// ScriptRunner::attach(world, player, "slide.lua", source, Default::default(), permissions)?;
/// app.update();
/// app.update();
/// assert_eq!(app.world().get::<Position>(player).unwrap().x, 2.0);
/// # Ok::<(), luabox::ScriptError>(())
/// ```
pub struct LuaboxPlugin {
    engine: ScriptEngine,
    registry: ComponentRegistry,
}

impl LuaboxPlugin {
    /// The plugin, running scripts on `engine`.
    pub fn new(engine: ScriptEngine) -> Self {
        LuaboxPlugin {
            engine,
            registry: ComponentRegistry::default(),
        }
    }

    /// Makes the Rust component `T` available to scripts as `name` (see
    /// [`ComponentRegistry::register`]).
    pub fn register<T>(mut self, name: &str) -> Self
    where
        T: bevy_ecs::component::Component<Mutability = bevy_ecs::component::Mutable>
            + serde::Serialize
            + serde::de::DeserializeOwned,
    {
        self.registry.register::<T>(name);
        self
    }

    /// Uses `registry` for the components scripts may name.
    pub fn with_registry(mut self, registry: ComponentRegistry) -> Self {
        self.registry = registry;
        self
    }
}

impl Plugin for LuaboxPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(ScriptManager::new(self.engine.clone()))
            .insert_resource(self.registry.clone())
            .init_resource::<ScriptConsole>()
            .init_resource::<ScriptClock>()
            .add_systems(Update, tick_scripts.in_set(ScriptSystems));
    }
}

/// The system set the scripts run in (in `Update`), to order a game's
/// systems against, as bevy's `TimePlugin` offers `TimeSystems`.
///
/// ```
/// use bevy_app::{App, Update};
/// use bevy_ecs::prelude::*;
/// use luabox::ecs::{LuaboxPlugin, ScriptSystems};
///
/// fn steer() {}
/// fn draw() {}
///
/// let mut app = App::new();
/// app.add_plugins(LuaboxPlugin::new(luabox::ScriptEngine::new(Default::default())?))
///     .add_systems(Update, (steer.before(ScriptSystems), draw.after(ScriptSystems)));
/// app.update();
/// # Ok::<(), luabox::ScriptError>(())
/// ```
#[derive(bevy_ecs::schedule::SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScriptSystems;

/// Ticks every script with the frame's `dt`.
fn tick_scripts(world: &mut World) {
    let dt = match world.get_resource::<Time>() {
        Some(time) => time.delta_secs_f64(),
        None => world
            .get_resource::<ScriptDelta>()
            .map_or(1.0 / 60.0, |delta| delta.0),
    };
    ScriptRunner::tick(world, dt);
}
