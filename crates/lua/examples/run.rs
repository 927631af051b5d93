//! Runs a Lua file on the VM and prints the results (a development aid):
//! `cargo run -p lua51 --example run -- script.lua [--dis]`.
use lua51::{Outcome, Vm};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: run <script.lua> [--dis]");
        return;
    };
    let src = match std::fs::read(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            return;
        }
    };
    if args.iter().any(|a| a == "--dis") {
        match lua51::syntax::parse(&src) {
            Ok(chunk) => match lua51::compiler::compile(&chunk, "user_script") {
                Ok(p) => print!("{}", lua51::proto::disassemble(&p)),
                Err(e) => eprintln!("{}", e.text("user_script")),
            },
            Err(e) => eprintln!("{}", e.text("user_script")),
        }
    }
    let mut vm = Vm::new();
    let f = match vm.load(&src, "user_script") {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    if let Err(e) = vm.start(f, Vec::new()) {
        eprintln!("error: {}", vm.tostring_raw(&e).to_str_lossy());
        return;
    }
    loop {
        match vm.run(1_000_000) {
            Ok(Outcome::Finished(vals)) => {
                for v in vals {
                    println!("{}", vm.tostring_raw(&v).to_str_lossy());
                }
                return;
            }
            Ok(Outcome::Paused) => continue,
            Ok(Outcome::Yielded(_)) => {
                eprintln!("yielded");
                return;
            }
            Err(e) => {
                eprintln!("error: {}", vm.tostring_raw(&e).to_str_lossy());
                return;
            }
        }
    }
}
