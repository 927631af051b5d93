//! `redis-emulator-server`: the Redis emulator behind a real RESP2/RESP3 TCP port, so
//! redis-cli, redis-benchmark and client libraries can talk to it.

mod args;
mod connection;
mod log;
mod server;
mod signals;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

use redis_emulator::{Engine, Reply, SystemClock, REDIS_VERSION};

use crate::args::{Command, Options};
use crate::log::Level;

fn main() -> ExitCode {
    let opts = match args::parse(std::env::args().skip(1)) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!(
                "redis-emulator-server v={} (Redis {} compatible)",
                env!("CARGO_PKG_VERSION"),
                REDIS_VERSION
            );
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("redis-emulator-server: {e}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            log::log(Level::Warning, &msg);
            ExitCode::FAILURE
        }
    }
}

fn run(opts: Options) -> Result<(), String> {
    let seed = opts.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 ^ u64::from(std::process::id()) << 32)
            .unwrap_or(0)
    });
    let mut engine = Engine::new(Box::new(SystemClock), seed);
    configure(&mut engine, &opts.config)?;

    let addr = resolve(&opts.bind, opts.port)?;
    let mut server = server::Server::bind(addr, engine).map_err(|e| {
        format!(
            "Warning: Could not create server TCP listening socket {}: {}",
            addr, e
        )
    })?;
    let local = server.local_addr().map_err(|e| e.to_string())?;
    // CONFIG GET port / bind and INFO's tcp_port show the real ones (port 0 picks one).
    let engine = server.engine_mut();
    for (name, value) in [
        ("port", local.port().to_string()),
        ("bind", local.ip().to_string()),
    ] {
        engine.configure_at_startup(name, &value)?;
    }

    log::log(
        Level::Notice,
        &format!(
            "Redis emulator (Redis {} compatible) starting, pid={}",
            REDIS_VERSION,
            std::process::id()
        ),
    );
    log::log(
        Level::Notice,
        &format!("Running mode=standalone, port={}.", local.port()),
    );
    log::log(Level::Notice, "Server initialized");
    signals::install();
    log::log(
        Level::Notice,
        &format!("Ready to accept connections tcp on {}", local),
    );
    server.run().map_err(|e| format!("Event loop failed: {e}"))
}

/// The address to listen on: an IP address, or a host name (`localhost`) resolved like
/// redis-server's `bind` does, taking the first address.
fn resolve(bind: &str, port: u16) -> Result<SocketAddr, String> {
    if let Ok(ip) = bind.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (bind, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| format!("Invalid bind address '{bind}'"))
}

/// Applies `--name value` options through CONFIG SET, so they are validated exactly as
/// the command validates them.
fn configure(engine: &mut Engine, config: &[(String, String)]) -> Result<(), String> {
    if config.is_empty() {
        return Ok(());
    }
    let client = engine.connect(redis_emulator::ClientInfo::default());
    for (name, value) in config {
        let argv = vec![
            b"CONFIG".to_vec(),
            b"SET".to_vec(),
            name.as_bytes().to_vec(),
            value.as_bytes().to_vec(),
        ];
        if let Reply::Error(e) = engine.execute(client, &argv) {
            return Err(format!("FATAL CONFIG ERROR: --{} {}: {}", name, value, e));
        }
    }
    engine.disconnect(client);
    Ok(())
}
