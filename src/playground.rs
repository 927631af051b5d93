//! The page's server: one `Engine` with the page's clock (the programs' `VirtualClock`,
//! see `programs_ui`), the console's client, and the limits a browser tab needs (a
//! maxmemory default so a runaway loop cannot exhaust it).

use redis_emulator::{ClientId, ClientInfo, Clock, Engine};

/// The address redis-cli would show in its prompt.
pub const HOST_PORT: &str = "127.0.0.1:6379";
/// The page's default `maxmemory`: generous for learning, small enough for a tab.
pub const DEFAULT_MAXMEMORY: &str = "64mb";
/// The page's default `proto-max-bulk-len`: one value (SETRANGE at a huge offset, APPEND
/// in a loop) can't grow past this, since maxmemory is only checked between commands.
pub const DEFAULT_MAX_BULK: &str = "64mb";

/// The engine and the console's connection to it.
pub struct Playground {
    pub engine: Engine,
    /// The client the console types into (CLIENT ID 1, like a fresh redis-cli).
    pub client: ClientId,
}

impl Playground {
    /// A fresh server with the page's defaults. The console's client connects first so
    /// it gets id 1; a short-lived internal client then applies the defaults, exactly as
    /// a user could with CONFIG SET, so the UI changes data only through `execute`.
    pub fn new(clock: Box<dyn Clock>, seed: u64) -> Self {
        let mut engine = Engine::new(clock, seed);
        let client = engine.connect(ClientInfo::default());
        let internal = engine.connect(ClientInfo {
            addr: "127.0.0.1:0".into(),
            ..ClientInfo::default()
        });
        let argv: Vec<Vec<u8>> = [
            "CONFIG",
            "SET",
            "maxmemory",
            DEFAULT_MAXMEMORY,
            "proto-max-bulk-len",
            DEFAULT_MAX_BULK,
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let reply = engine.execute(internal, &argv);
        debug_assert!(
            !reply.is_error(),
            "the default configuration applies: {reply:?}"
        );
        engine.disconnect(internal);
        Playground { engine, client }
    }

    /// The database the first console's client has selected.
    pub fn db(&self) -> usize {
        self.db_of(self.client)
    }

    /// The database `client` has selected.
    pub fn db_of(&self, client: ClientId) -> usize {
        self.engine.client(client).map(|c| c.db).unwrap_or(0)
    }

    /// redis-cli's prompt for the first console's client.
    pub fn prompt(&self) -> String {
        self.prompt_for(self.client)
    }

    /// redis-cli's prompt for `client`.
    pub fn prompt_for(&self, client: ClientId) -> String {
        redis_emulator::cli::prompt(HOST_PORT, self.db_of(client))
    }
}

/// What the app's tests share: a playground on a stopped clock, and command lines split as
/// redis-cli splits them.
#[cfg(test)]
pub(crate) mod testing {
    use super::Playground;
    use redis_emulator::ManualClock;

    pub fn argv(s: &str) -> Vec<Vec<u8>> {
        redis_emulator::cli::split_args(s.as_bytes()).unwrap_or_default()
    }

    pub fn playground() -> (Playground, ManualClock) {
        let clock = ManualClock::new(1_700_000_000_000);
        (Playground::new(Box::new(clock.clone()), 1), clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis_emulator::{ManualClock, Reply};

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect()
    }

    #[test]
    fn playground_starts_with_a_maxmemory_limit_and_client_one() {
        let mut pg = Playground::new(Box::new(ManualClock::new(1_700_000_000_000)), 7);
        assert_eq!(pg.client, 1);
        assert_eq!(pg.engine.config().maxmemory(), 64 * 1024 * 1024);
        assert_eq!(
            pg.engine.config().int("proto-max-bulk-len"),
            64 * 1024 * 1024
        );
        let huge = pg
            .engine
            .execute(pg.client, &argv("SETRANGE k 100000000 x"));
        assert_eq!(
            huge,
            Reply::error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        );
        let reply = pg.engine.execute(pg.client, &argv("CONFIG GET maxmemory"));
        assert_eq!(
            reply,
            Reply::Map(vec![(
                Reply::bulk_str("maxmemory"),
                Reply::bulk_str("67108864")
            )])
        );
        assert_eq!(
            pg.engine.clients().count(),
            1,
            "the internal client is gone"
        );
    }

    #[test]
    fn playground_prompt_follows_select() {
        let mut pg = Playground::new(Box::new(ManualClock::new(1_700_000_000_000)), 7);
        assert_eq!(pg.prompt(), "127.0.0.1:6379> ");
        pg.engine.execute(pg.client, &argv("SELECT 3"));
        assert_eq!(pg.prompt(), "127.0.0.1:6379[3]> ");
    }
}
