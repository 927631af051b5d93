//! Command-line options, redis-server style: `--port 6380`, `--bind 127.0.0.1`, and any
//! other `--name value` is a configuration parameter handed to the engine as
//! `CONFIG SET name value` (so `--maxmemory 100mb --maxmemory-policy allkeys-lru` work).

use std::fmt;

pub const USAGE: &str = "\
Usage: redis-emulator-server [options]

A Redis 7.0 compatible server backed by the in-memory emulator (no persistence).

Options:
  --bind ADDR          Address to listen on (default 127.0.0.1)
  --port N             TCP port (default 6379; 0 picks a free port)
  --maxmemory BYTES    Memory limit, with units like redis-server: 100mb, 1gb, 500k
  --seed N             Seed for the engine's random choices (default: from the clock)
  --NAME VALUE         Any other configuration parameter, applied as CONFIG SET NAME VALUE
                       (e.g. --maxmemory-policy allkeys-lru, --hash-max-listpack-entries 64)
  -h, --help           Print this help
  -v, --version        Print the version

Also accepts `--name=value`.
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub bind: String,
    pub port: u16,
    pub seed: Option<u64>,
    /// Configuration parameters to apply with CONFIG SET, in order.
    pub config: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: "127.0.0.1".into(),
            port: 6379,
            seed: None,
            config: Vec::new(),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
    Version,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, ArgError> {
    let mut opts = Options::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-v" | "--version" => return Ok(Command::Version),
            _ => {}
        }
        let Some(flag) = arg.strip_prefix("--") else {
            return Err(ArgError(format!(
                "unexpected argument '{arg}' (options start with --; try --help)"
            )));
        };
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => {
                let v = it
                    .next()
                    .ok_or_else(|| ArgError(format!("option '--{flag}' needs a value")))?;
                (flag.to_string(), v)
            }
        };
        if name.is_empty() {
            return Err(ArgError(format!("unexpected argument '{arg}'")));
        }
        match name.to_ascii_lowercase().as_str() {
            "bind" => {
                // redis-server accepts several addresses; we listen on the first one.
                let first = value.split_whitespace().next().unwrap_or("");
                if first.is_empty() {
                    return Err(ArgError("--bind needs an address".into()));
                }
                opts.bind = first.to_string();
            }
            "port" => {
                opts.port = value
                    .parse()
                    .map_err(|_| ArgError(format!("invalid port '{value}'")))?;
            }
            "seed" => {
                opts.seed = Some(
                    value
                        .parse()
                        .map_err(|_| ArgError(format!("invalid seed '{value}'")))?,
                );
            }
            _ => opts.config.push((name, value)),
        }
    }
    Ok(Command::Run(opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, ArgError> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_like_redis_server() {
        assert_eq!(p(&[]), Ok(Command::Run(Options::default())));
    }

    #[test]
    fn flags_and_config() {
        let Ok(Command::Run(o)) = p(&[
            "--port",
            "6380",
            "--bind=0.0.0.0",
            "--maxmemory",
            "100mb",
            "--seed",
            "7",
        ]) else {
            panic!("parse failed")
        };
        assert_eq!(o.port, 6380);
        assert_eq!(o.bind, "0.0.0.0");
        assert_eq!(o.seed, Some(7));
        assert_eq!(
            o.config,
            vec![("maxmemory".to_string(), "100mb".to_string())]
        );
    }

    #[test]
    fn errors_and_help() {
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(
            p(&["--port", "x"]),
            Err(ArgError("invalid port 'x'".into()))
        );
        assert_eq!(
            p(&["--port", "70000"]),
            Err(ArgError("invalid port '70000'".into()))
        );
        assert!(p(&["--port"]).is_err());
        assert!(p(&["6380"]).is_err());
    }
}
